namespace CredentialBroker.Testing;

/// <summary>Waits for a condition the test cannot be signalled about (a server's state), checking it again and again within a bound.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Returns once <paramref name="condition"/> holds; throws a <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var deadline = new CancellationTokenSource(timeout);
        while (!await condition())
        {
            try
            {
                await Task.Delay(Interval, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Not within {timeout.TotalSeconds} s: {what}.");
            }
        }
    }

    /// <summary>Reads <paramref name="read"/> until its value satisfies <paramref name="done"/> and returns that value; throws like <see cref="UntilAsync"/>.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var value = default(T)!;
        await UntilAsync(async () => done(value = await read()), timeout, what);
        return value;
    }
}
