namespace Outdial.Core.Storage;

/// <summary>Dial slots shared through the database (<see cref="Dispatch.SharedPacingLimiter"/>).</summary>
public interface IPacingStore
{
    /// <summary>
    /// Takes the slot of <paramref name="key"/> when it is free at <paramref name="now"/> (UTC) and moves it to
    /// <c>now + spacing</c>, in one conditional write; returns null when taken, else the time (UTC, millisecond precision)
    /// the slot frees. Two nodes asking at once: one takes it.
    /// </summary>
    Task<DateTimeOffset?> TryTakeSlotAsync(string key, TimeSpan spacing, DateTimeOffset now, CancellationToken ct);
}
