using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CsvHelper;
using NodaTime;
using Outdial.Core.Calls;

namespace Outdial.Core.Campaigns;

/// <summary>
/// One row of a contact upload as read by <see cref="ContactRowReader"/>.
/// </summary>
/// <param name="Row">1-based data row number: CSV records after the header (row 0), counting rows whose cells are all empty
/// (they are skipped, not returned) but not empty lines; JSON array index + 1.</param>
/// <param name="Phone">E.164 (spaces, dashes, dots and parentheses removed) when valid; the value as given when not; null when absent.</param>
/// <param name="TimeZone">The <c>timezone</c> column as given (an IANA id when <see cref="Error"/> is null).</param>
/// <param name="Fields">Every other column or property, trimmed, empty ones left out; keys as written, looked up without case.</param>
/// <param name="Error">Why the row cannot become a contact (several reasons joined by <c>"; "</c>), or null.</param>
/// <param name="BytesConsumed">Bytes of the upload up to the end of this row (for progress; a BOM counts; approximate by a line break).</param>
public sealed record ContactRow(long Row, string? Phone, string? TimeZone, IReadOnlyDictionary<string, string> Fields, string? Error, long BytesConsumed);

/// <summary>
/// The upload as a whole cannot be read (no header, no <c>phone</c> column, malformed JSON, too many rows, a row over
/// <see cref="ContactRowReader.MaxRowBytes"/>). Rows returned before it are valid; the import fails with <see cref="Exception.Message"/>.
/// </summary>
public sealed class ContactFormatException : Exception
{
    public ContactFormatException()
    {
    }

    public ContactFormatException(string message) : base(message)
    {
    }

    public ContactFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ContactFormatException(string message, long? row, long? byteOffset, Exception? innerException = null) : base(message, innerException)
    {
        Row = row;
        ByteOffset = byteOffset;
    }

    /// <summary>The data row (numbered as <see cref="ContactRow.Row"/>) where reading stopped, when known.</summary>
    public long? Row { get; }

    /// <summary>Byte offset in the upload near the problem, when known.</summary>
    public long? ByteOffset { get; }
}

/// <summary>
/// Streams the rows of a campaign contact upload (<c>POST /v1/campaigns/{id}/contacts</c>), CSV or JSON, without holding
/// the upload in memory: at most one row (≤ <see cref="MaxRowBytes"/>) plus a read buffer. Rows that cannot become
/// contacts come back with <see cref="ContactRow.Error"/>; an upload that cannot be read at all throws
/// <see cref="ContactFormatException"/> when the reading reaches the problem.
/// <list type="bullet">
/// <item>CSV (RFC 4180, UTF-8 with or without BOM, CRLF or LF, quoted fields with commas and line breaks): a header row
/// naming the columns is required and must have <c>phone</c>; names are matched without case and trimmed.</item>
/// <item>JSON: one top-level array of objects; values are strings, numbers or booleans (null = absent).</item>
/// </list>
/// </summary>
public static class ContactRowReader
{
    /// <summary>Most fields per row besides <c>phone</c> and <c>timezone</c>.</summary>
    public const int MaxFields = 100;

    /// <summary>Longest value, in characters (UTF-16 code units).</summary>
    public const int MaxValueLength = 1000;

    /// <summary>Largest row in bytes: room for <see cref="MaxFields"/> values of <see cref="MaxValueLength"/> characters, escaped. A larger row fails the upload.</summary>
    public const int MaxRowBytes = 1024 * 1024;

    private const int InitialBufferBytes = 64 * 1024;

    /// <summary>Reads <paramref name="body"/> (left open) as <paramref name="format"/> <c>csv</c> or <c>json</c>.</summary>
    /// <exception cref="ArgumentException">Another format.</exception>
    public static IAsyncEnumerable<ContactRow> ReadAsync(Stream body, string format, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        return format.ToUpperInvariant() switch
        {
            "CSV" => ReadCsvAsync(body, ct),
            "JSON" => ReadJsonAsync(body, ct),
            _ => throw new ArgumentException("format must be csv or json", nameof(format)),
        };
    }

    private static async IAsyncEnumerable<ContactRow> ReadCsvAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        // Malformed quoting is recovered by the reader and reported here (by record number, header = 1) as it scans ahead.
        var malformed = new Dictionary<long, CsvMalformedReason>();
        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            MaxRecordSize = MaxRowBytes,
            IncludeValuesInExceptions = false,
            OnMalformedRecord = m => malformed[m.RecordNumber] = m.Reason,
        };
        await using var reader = CsvReader.Create(body, options, leaveOpen: true);
        string[] columns;
        try
        {
            await reader.ReadHeaderAsync(ct);
            columns = [.. reader.Headers.Select(h => h.Trim())];
        }
        catch (CsvFormatException ex)
        {
            throw new ContactFormatException($"the CSV header cannot be read: {ex.Message}", 0, ex.ByteOffset, ex);
        }
        CheckHeader(columns);
        malformed.Remove(1);

        long row = 0;
        while (true)
        {
            try
            {
                if (!await reader.ReadAsync(ct))
                {
                    yield break;
                }
            }
            catch (CsvFormatException ex)
            {
                throw new ContactFormatException($"the CSV cannot be read after row {row}: {ex.Message}", row + 1, ex.ByteOffset, ex);
            }
            row++;
            var bytes = reader.ByteOffset + reader.RawRecord.Length;
            var builder = new RowBuilder();
            var blank = true;
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = (reader.GetString(i) ?? "").Trim();
                if (value.Length == 0)
                {
                    continue;
                }
                blank = false;
                if (i >= columns.Length)
                {
                    builder.Error($"the row has {reader.FieldCount} cells but the header has {columns.Length} columns");
                    break;
                }
                if (columns[i].Length == 0)
                {
                    builder.Error($"column {i + 1} has a value but no header");
                    continue;
                }
                builder.Add(columns[i], value);
            }
            if (malformed.Remove(row + 1, out var reason))
            {
                builder.Error($"malformed quoting ({reason})");
                blank = false;
            }
            if (blank)
            {
                continue;
            }
            CheckRowLimit(row, bytes);
            yield return builder.Build(row, bytes);
        }
    }

    private static void CheckHeader(string[] columns)
    {
        if (columns.Length == 0)
        {
            throw new ContactFormatException("the CSV upload is empty: a header row naming the columns (at least 'phone') is required", 0, 0);
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in columns.Where(c => c.Length > 0))
        {
            if (!seen.Add(name))
            {
                throw new ContactFormatException($"the CSV header names column '{Clip(name)}' more than once", 0, 0);
            }
        }
        if (!seen.Contains("phone"))
        {
            var found = string.Join(", ", columns.Where(c => c.Length > 0).Take(10).Select(Clip));
            throw new ContactFormatException($"the first CSV row must be a header with a 'phone' column (found: {found})", 0, 0);
        }
    }

    private static void CheckRowLimit(long row, long bytes)
    {
        if (row > ContactImport.MaxRows)
        {
            throw new ContactFormatException($"more than {ContactImport.MaxRows} rows", row, bytes);
        }
    }

    private static async IAsyncEnumerable<ContactRow> ReadJsonAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        var buffer = new byte[InitialBufferBytes];
        int start = 0, end = 0;
        long offset = 0; // upload offset of buffer[0]
        var final = false;
        // A UTF-8 byte order mark is skipped (Utf8JsonReader refuses it); read until it can be recognised.
        while (end < 3 && !final)
        {
            var n = await body.ReadAsync(buffer.AsMemory(end), ct);
            final = n == 0;
            end += n;
        }
        if (end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF)
        {
            start = 3;
        }
        var parser = new JsonRowParser();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var step = parser.Next(buffer.AsSpan(start, end - start), final, offset + start, out var consumed, out var row);
            start += consumed;
            if (step == JsonStep.Row)
            {
                yield return row!;
                continue;
            }
            if (step == JsonStep.End)
            {
                yield break;
            }
            // More input needed: keep the unfinished row, growing the buffer when it alone fills it.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                offset += start;
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                if (buffer.Length >= MaxRowBytes)
                {
                    throw new ContactFormatException($"row {parser.Rows + 1} is larger than {MaxRowBytes} bytes", parser.Rows + 1, offset);
                }
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxRowBytes));
            }
            var read = await body.ReadAsync(buffer.AsMemory(end), ct);
            final = read == 0;
            end += read;
        }
    }

    private enum JsonStep
    {
        NeedMore,
        Row,
        End,
    }

    /// <summary>Walks the top-level array over successive buffers; each element is parsed only once all its bytes are in one buffer.</summary>
    private sealed class JsonRowParser
    {
        private JsonReaderState _state;
        private bool _inArray;
        private bool _afterArray;

        /// <summary>Elements returned so far.</summary>
        public long Rows { get; private set; }

        public JsonStep Next(ReadOnlySpan<byte> data, bool final, long baseOffset, out int consumed, out ContactRow? row)
        {
            row = null;
            consumed = 0;
            if (final && data.Trim(" \t\r\n"u8).IsEmpty)
            {
                // The end of the input where no more tokens follow: say what is missing rather than quoting the JSON reader.
                return _afterArray ? JsonStep.End : throw (_inArray
                    ? new ContactFormatException($"the JSON upload ends inside its array (in row {Rows + 1}): ']' is missing", Rows + 1, baseOffset)
                    : new ContactFormatException("the JSON upload is empty: expected an array of contact objects", 0, baseOffset));
            }
            var reader = new Utf8JsonReader(data, final, _state);
            try
            {
                while (true)
                {
                    if (!reader.Read())
                    {
                        if (!final)
                        {
                            return JsonStep.NeedMore;
                        }
                        return _afterArray ? JsonStep.End : throw new ContactFormatException(
                            $"the JSON upload ends early (in row {Rows + 1})", Rows + 1, baseOffset + reader.BytesConsumed);
                    }
                    if (!_inArray)
                    {
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw new ContactFormatException("a JSON upload must be one array of contact objects, e.g. [{\"phone\": \"+15551234567\"}]", 0, baseOffset + reader.TokenStartIndex);
                        }
                        _inArray = true;
                        Commit(ref reader, out consumed);
                        continue;
                    }
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _afterArray = true;
                        Commit(ref reader, out consumed);
                        continue;
                    }
                    var tokenStart = (int)reader.TokenStartIndex;
                    var isObject = reader.TokenType == JsonTokenType.StartObject;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
                    {
                        return JsonStep.NeedMore; // the element is not all here yet: start again from the last commit
                    }
                    var end = (int)reader.BytesConsumed;
                    Rows++;
                    CheckRowLimit(Rows, baseOffset + end);
                    row = isObject
                        ? ParseObject(data[tokenStart..end], Rows, baseOffset + end)
                        : new ContactRow(Rows, null, null, Empty, "must be a JSON object", baseOffset + end);
                    Commit(ref reader, out consumed);
                    return JsonStep.Row;
                }
            }
            catch (JsonException ex)
            {
                throw new ContactFormatException(
                    $"malformed JSON near byte {baseOffset + reader.BytesConsumed} (in row {Rows + 1}): {ex.Message}", Rows + 1, baseOffset + reader.BytesConsumed, ex);
            }
        }

        private void Commit(ref Utf8JsonReader reader, out int consumed)
        {
            _state = reader.CurrentState;
            consumed = (int)reader.BytesConsumed;
        }

        private static ContactRow ParseObject(ReadOnlySpan<byte> json, long row, long bytes)
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            var builder = new RowBuilder();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!.Trim();
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        builder.Add(name, reader.GetString()!.Trim());
                        break;
                    case JsonTokenType.Number:
                        builder.Add(name, Encoding.UTF8.GetString(reader.ValueSpan));
                        break;
                    case JsonTokenType.True or JsonTokenType.False:
                        builder.Add(name, reader.GetBoolean() ? "true" : "false");
                        break;
                    case JsonTokenType.Null:
                        break;
                    default:
                        builder.Error($"'{Clip(name)}' must be a string, number or boolean, not an object or array");
                        reader.Skip();
                        break;
                }
            }
            return builder.Build(row, bytes);
        }
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    /// <summary>Collects one row's values and applies the row rules (phone, timezone, field count and size).</summary>
    private sealed class RowBuilder
    {
        private readonly Dictionary<string, string> _fields = new(StringComparer.OrdinalIgnoreCase);
        private string? _phone;
        private string? _zone;
        private List<string>? _errors;

        public void Error(string message) => (_errors ??= []).Add(message);

        /// <summary>Adds a trimmed value; an empty one is left out.</summary>
        public void Add(string name, string value)
        {
            if (value.Length == 0)
            {
                return;
            }
            if (name.Length == 0)
            {
                Error("a value has an empty name");
                return;
            }
            if (value.Length > MaxValueLength)
            {
                Error($"'{Clip(name)}' is longer than {MaxValueLength} characters");
                return;
            }
            var known = name.Equals("phone", StringComparison.OrdinalIgnoreCase) ? 1
                : name.Equals("timezone", StringComparison.OrdinalIgnoreCase) ? 2 : 0;
            var duplicate = known switch
            {
                1 => _phone is not null,
                2 => _zone is not null,
                _ => _fields.ContainsKey(name),
            };
            if (duplicate)
            {
                Error($"'{Clip(name)}' appears more than once");
                return;
            }
            switch (known)
            {
                case 1:
                    _phone = value;
                    break;
                case 2:
                    _zone = value;
                    break;
                default:
                    _fields[name] = value;
                    break;
            }
        }

        public ContactRow Build(long row, long bytes)
        {
            var phone = _phone;
            if (phone is null)
            {
                Error("phone is missing");
            }
            else
            {
                var normalized = E164.RemoveFormatting(phone);
                if (E164.IsValid(normalized))
                {
                    phone = normalized;
                }
                else
                {
                    Error($"phone '{Clip(phone)}' is not E.164: '+' then 8 to 15 digits, the first not 0 (spaces, dashes, dots and parentheses are ignored)");
                }
            }
            if (_zone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(_zone) is null)
            {
                Error($"timezone '{Clip(_zone)}' is not an IANA time zone id such as America/New_York");
            }
            if (_fields.Count > MaxFields)
            {
                Error($"more than {MaxFields} fields besides phone and timezone");
            }
            return new ContactRow(row, phone, _zone, _fields, _errors is null ? null : string.Join("; ", _errors), bytes);
        }
    }

    private static string Clip(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
