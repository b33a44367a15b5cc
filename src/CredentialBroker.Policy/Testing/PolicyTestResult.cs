using CredentialBroker.Abstractions.Policy;

namespace CredentialBroker.Policy.Testing;

/// <summary>The outcome of one policy test case.</summary>
/// <param name="File">The test file.</param>
/// <param name="Name">The case name.</param>
/// <param name="Passed">Whether the decision matched every expectation.</param>
/// <param name="Decision">The decision the policy made, if the case could be evaluated.</param>
/// <param name="Message">What did not match, or why the case is invalid.</param>
public sealed record PolicyTestResult(string File, string Name, bool Passed, PolicyDecision? Decision, string? Message);
