namespace CredentialBroker.Redis;

/// <summary>
/// A write could not be confirmed on enough replicas in time (see <see cref="RedisDurability"/>). The broker fails closed:
/// it becomes <see cref="Abstractions.Storage.StoreUnavailableException"/> (503), and is neither retried nor counted by the
/// circuit breaker — reads, which need no replica, go on working.
/// </summary>
internal sealed class ReplicaAcknowledgementException(string message) : Exception(message);
