using CredentialBroker.Fuzz;
using SharpFuzz;

// Usage (under afl-fuzz, see run-afl.sh): CredentialBroker.Fuzz <target>, the input on standard input.
if (args.Length != 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    await Console.Error.WriteLineAsync($"usage: CredentialBroker.Fuzz <{string.Join('|', FuzzTargets.All.Keys)}>");
    return 2;
}

Fuzzer.OutOfProcess.Run(target);
return 0;
