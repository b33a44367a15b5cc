using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Client;

/// <summary>The outcome of a broker call that returns nothing: success, or a <see cref="BrokerError"/>.</summary>
public class BrokerResult
{
    private protected BrokerResult(BrokerError? error) => Error = error;

    /// <summary>Why the call failed; <see langword="null"/> on success.</summary>
    public BrokerError? Error { get; }

    /// <summary>Whether the call succeeded.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A success.</summary>
    public static BrokerResult Success() => new(null);

    /// <summary>A failure.</summary>
    public static BrokerResult Failure(BrokerError error) => new(error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>A success with <paramref name="value"/>.</summary>
    public static BrokerResult<T> Success<T>(T value) => new(value, null);

    /// <summary>A failure of a call that would return a <typeparamref name="T"/>.</summary>
    public static BrokerResult<T> Failure<T>(BrokerError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>Throws <see cref="BrokerRequestException"/> when the call failed.</summary>
    /// <exception cref="BrokerRequestException">The call failed.</exception>
    public void EnsureSuccess()
    {
        if (Error is { } error)
        {
            throw new BrokerRequestException(error);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Error is { } error ? error.ToString() : "success";
}

/// <summary>The outcome of a broker call: a <typeparamref name="T"/>, or a <see cref="BrokerError"/>.</summary>
/// <typeparam name="T">What the call returns.</typeparam>
public sealed class BrokerResult<T> : BrokerResult
{
    private readonly T? _value;

    internal BrokerResult(T? value, BrokerError? error)
        : base(error) => _value = value;

    /// <summary>The value; throws <see cref="BrokerRequestException"/> when the call failed.</summary>
    /// <exception cref="BrokerRequestException">The call failed.</exception>
    public T Value => Error is { } error ? throw new BrokerRequestException(error) : _value!;

    /// <summary>The value, or the default when the call failed.</summary>
    public T? ValueOrDefault => _value;
}
