using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;

namespace CredentialBroker.Core.Tests.Issuance;

public sealed class TokenFactoryTests
{
    [Test]
    public async Task Task_tokens_carry_every_claim_the_contract_names()
    {
        var harness = new CoreHarness();
        var issued = await harness.IssueAsync();
        var header = JwtParts.Header(issued.Token!);
        var claims = JwtParts.Payload(issued.Token!);
        var details = claims["authorization_details"]!.AsArray()[0]!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That((string?)header["typ"], Is.EqualTo("task+jwt"));
            Assert.That((string?)header["alg"], Is.EqualTo("ES256"));
            Assert.That((string?)header["kid"], Is.EqualTo("k1"));
            Assert.That((string?)claims["iss"], Is.EqualTo(TestOptions.Issuer));
            Assert.That((string?)claims["aud"], Is.EqualTo(TestOptions.Issuer));
            Assert.That((string?)claims["sub"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((long?)claims["iat"], Is.EqualTo(CoreHarness.Start.ToUnixTimeSeconds()));
            Assert.That((long?)claims["nbf"], Is.EqualTo(CoreHarness.Start.ToUnixTimeSeconds()));
            Assert.That((long?)claims["exp"], Is.EqualTo(CoreHarness.Start.AddMinutes(10).ToUnixTimeSeconds()));
            Assert.That((string?)claims["jti"], Is.EqualTo(issued.Credential!.Jti));
            Assert.That((string?)claims["task_id"], Is.EqualTo(issued.Task!.TaskId));
            Assert.That((string?)claims["workflow_id"], Is.EqualTo("wf-invoices"));
            Assert.That((string?)claims["cnf"]!["spiffe_id"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((string?)claims["approval_id"], Is.EqualTo("CHG-1042"));
            Assert.That((string?)claims["prompt_id"], Is.EqualTo("p-77"));
            Assert.That((string?)details["type"], Is.EqualTo("tool"));
            Assert.That((string?)details["identifier"], Is.EqualTo("sql.query"));
            Assert.That((string?)details["locations"]![0], Is.EqualTo("postgres://payments"));
            Assert.That((string?)details["actions"]![0], Is.EqualTo("read"));
            Assert.That((string?)details["datatypes"]![0], Is.EqualTo("confidential"));
        });
    }

    [Test]
    public async Task Task_tokens_validate_as_task_tokens_and_not_as_access_tokens()
    {
        var harness = new CoreHarness();
        var token = (await harness.IssueAsync()).Token;

        Assert.Multiple(async () =>
        {
            Assert.That((await harness.Validator.ValidateAsync(token, [TokenTypes.Task])).IsValid, Is.True);
            Assert.That((await harness.Validator.ValidateAsync(token, [TokenTypes.AccessToken])).Failure, Is.EqualTo(JwtValidationFailure.WrongType));
        });
    }
}
