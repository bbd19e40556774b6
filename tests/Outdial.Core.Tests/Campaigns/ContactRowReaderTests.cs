using System.Text;
using Outdial.Core.Campaigns;

namespace Outdial.Core.Tests.Campaigns;

public sealed class ContactRowReaderTests
{
    [Fact]
    public async Task Csv_ReadsRowsWithFieldsTimeZoneAndProgress()
    {
        var rows = await ReadAsync("csv", "Phone,TimeZone, First Name ,company,notes\n+15551234567,America/Chicago,Ada, Acme ,\n+442079460958,,Grace,,\n");
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows[0].Row);
        Assert.Equal("+15551234567", rows[0].Phone);
        Assert.Equal("America/Chicago", rows[0].TimeZone);
        Assert.Null(rows[0].Error);
        Assert.Equal(new Dictionary<string, string> { ["First Name"] = "Ada", ["company"] = "Acme" }, rows[0].Fields);
        Assert.Equal("Ada", rows[0].Fields["first name"]);
        Assert.Equal(2, rows[1].Row);
        Assert.Null(rows[1].TimeZone);
        Assert.Equal(["First Name"], rows[1].Fields.Keys);
        Assert.True(rows[0].BytesConsumed > 0 && rows[0].BytesConsumed < rows[1].BytesConsumed);
    }

    [Fact]
    public async Task Json_ReadsObjectsScalarsAsJsonTextAndNullAsAbsent()
    {
        var rows = await ReadAsync("json", """
            [
              {"phone": "+15551234567", "timezone": "Europe/Berlin", "name": " Ada ", "age": 36, "score": 1.5e3, "vip": true, "note": null, "empty": ""},
              {"PHONE": "+15551234568", "vip": false}
            ]
            """);
        Assert.Equal(2, rows.Count);
        Assert.Equal("+15551234567", rows[0].Phone);
        Assert.Equal("Europe/Berlin", rows[0].TimeZone);
        Assert.Equal(new Dictionary<string, string> { ["name"] = "Ada", ["age"] = "36", ["score"] = "1.5e3", ["vip"] = "true" }, rows[0].Fields);
        Assert.Null(rows[0].Error);
        Assert.Equal(2, rows[1].Row);
        Assert.Equal("+15551234568", rows[1].Phone);
        Assert.Equal("false", rows[1].Fields["vip"]);
        Assert.True(rows[0].BytesConsumed < rows[1].BytesConsumed);
    }

    [Theory]
    [InlineData("+1 (555) 123-4567", "+15551234567")]
    [InlineData("+44.20.7946.0958", "+442079460958")]
    [InlineData(" +49 30-1234 5678 ", "+493012345678")]
    public async Task Phone_FormattingIsRemoved(string given, string expected)
    {
        var csv = await ReadAsync("csv", $"phone\n\"{given}\"\n");
        var json = await ReadAsync("json", $$"""[{"phone": "{{given}}"}]""");
        Assert.Equal(expected, Assert.Single(csv).Phone);
        Assert.Null(csv[0].Error);
        Assert.Equal(expected, Assert.Single(json).Phone);
        Assert.Null(json[0].Error);
    }

    [Fact]
    public async Task Csv_BadRows_CarryErrorsWithTheirRowNumbers()
    {
        var longValue = new string('x', ContactRowReader.MaxValueLength + 1);
        var rows = await ReadAsync("csv", string.Join("\n",
            "phone,timezone,name",
            "+15551234567,,ok",
            ",,no phone",
            "5551234567,,no plus",
            "+05551234567,,leading zero",
            "+1555,,too short",
            "+15551234567,Mars/Olympus,bad zone",
            "+15551234567,,too,many",
            $"+15551234567,,{longValue}",
            ",,",
            "+15551234569,,last") + "\n");
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8, 10], rows.Select(r => r.Row));
        Assert.Null(rows[0].Error);
        Assert.Contains("phone is missing", rows[1].Error);
        Assert.Contains("not E.164", rows[2].Error);
        Assert.Equal("5551234567", rows[2].Phone);
        Assert.Contains("not E.164", rows[3].Error);
        Assert.Contains("not E.164", rows[4].Error);
        Assert.Contains("IANA", rows[5].Error);
        Assert.Contains("4 cells but the header has 3", rows[6].Error);
        Assert.Contains("longer than 1000", rows[7].Error);
        Assert.Equal(10, rows[8].Row);
        Assert.Null(rows[8].Error);
    }

    [Fact]
    public async Task TooManyFields_IsARowError()
    {
        var names = Enumerable.Range(1, ContactRowReader.MaxFields + 1).Select(i => $"f{i}").ToList();
        var csv = await ReadAsync("csv", $"phone,{string.Join(',', names)}\n+15551234567,{string.Join(',', names)}\n+15551234568,a\n");
        Assert.Contains("more than 100 fields", csv[0].Error);
        Assert.Null(csv[1].Error);
        var json = await ReadAsync("json", "[{\"phone\":\"+15551234567\"," + string.Join(',', names.Select(n => $"\"{n}\":1")) + "}]");
        Assert.Contains("more than 100 fields", Assert.Single(json).Error);
    }

    [Fact]
    public async Task Csv_QuotedCellsWithCommasLineBreaksAndCrlf()
    {
        var rows = await ReadAsync("csv", "phone,address,note\r\n+15551234567,\"1 Main St,\r\nSpringfield\",\"she said \"\"hi\"\"\"\r\n+15551234568,plain,\"two\nlines\"\r\n+15551234569,x,y\r\n");
        Assert.Equal([1L, 2, 3], rows.Select(r => r.Row));
        Assert.Equal("1 Main St,\r\nSpringfield", rows[0].Fields["address"]);
        Assert.Equal("she said \"hi\"", rows[0].Fields["note"]);
        Assert.Equal("two\nlines", rows[1].Fields["note"]);
        Assert.All(rows, r => Assert.Null(r.Error));
    }

    [Theory]
    [InlineData("csv", "phone,name\n+15551234567,Zoë\n")]
    [InlineData("json", "[{\"phone\":\"+15551234567\",\"name\":\"Zoë\"}]")]
    public async Task Utf8ByteOrderMark_IsSkipped(string format, string text)
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        var rows = await ReadAsync(format, bytes);
        Assert.Equal("+15551234567", Assert.Single(rows).Phone);
        Assert.Null(rows[0].Error);
        Assert.Equal("Zoë", rows[0].Fields["name"]);
    }

    [Theory]
    [InlineData("name,email\nAda,a@example.com\n", "'phone' column")]
    [InlineData("+15551234567\n+15551234568\n", "'phone' column")]
    [InlineData("", "empty")]
    [InlineData("phone,Name,name\n+15551234567,a,b\n", "more than once")]
    public async Task Csv_WithoutUsableHeader_Throws(string text, string message)
    {
        var ex = await Assert.ThrowsAsync<ContactFormatException>(() => ReadAsync("csv", text));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_Malformed_ThrowsWithOffsetAndRowAfterReturningTheRowsBefore()
    {
        var rows = new List<ContactRow>();
        const string text = """[{"phone":"+15551234567"},{"phone":"+15551234568",}]""";
        var ex = await Assert.ThrowsAsync<ContactFormatException>(async () =>
        {
            await foreach (var row in ContactRowReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), "json", CancellationToken.None))
            {
                rows.Add(row);
            }
        });
        Assert.Single(rows);
        Assert.Equal(2, ex.Row);
        Assert.InRange(ex.ByteOffset!.Value, 26, text.Length);
        Assert.Contains("malformed JSON", ex.Message, StringComparison.Ordinal);
        Assert.Contains("row 2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"phone\":\"+15551234567\"}", "array")]
    [InlineData("", "empty")]
    [InlineData("[{\"phone\":\"+15551234567\"}", "ends inside")]
    [InlineData("[{\"phone\":\"+15551234567\"}] x", "malformed JSON")]
    public async Task Json_NotOneArray_Throws(string text, string message)
    {
        var ex = await Assert.ThrowsAsync<ContactFormatException>(() => ReadAsync("json", text));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_NestedValuesAndNonObjects_AreRowErrors()
    {
        var rows = await ReadAsync("json", """
            [{"phone":"+15551234567","address":{"city":"x"}}, "+15551234568", [1,2], {"phone":"+15551234569","tags":["a"]}, 42, {"phone":"+15551234570"}]
            """);
        Assert.Equal([1L, 2, 3, 4, 5, 6], rows.Select(r => r.Row));
        Assert.Contains("'address' must be a string, number or boolean", rows[0].Error);
        Assert.Contains("must be a JSON object", rows[1].Error);
        Assert.Contains("must be a JSON object", rows[2].Error);
        Assert.Contains("'tags'", rows[3].Error);
        Assert.Contains("must be a JSON object", rows[4].Error);
        Assert.Null(rows[5].Error);
    }

    [Fact]
    public async Task Json_RowsSplitAcrossReadsAndLargerThanTheBuffer_AreRead()
    {
        // ~95 KB in one row (over the 64 KB initial buffer), delivered a few bytes per read.
        var big = string.Join(',', Enumerable.Range(1, 95).Select(i => $"\"f{i}\":\"{new string('a', 990)}\""));
        var text = $$"""[{"phone":"+15551234567",{{big}}}, {"phone":"+15551234568"} ,{"phone":"+15551234569"}]""";
        var rows = await ReadAsync("json", new TrickleStream(Encoding.UTF8.GetBytes(text), 7));
        Assert.Equal(["+15551234567", "+15551234568", "+15551234569"], rows.Select(r => r.Phone));
        Assert.Equal(95, rows[0].Fields.Count);
        Assert.All(rows, r => Assert.Null(r.Error));
        Assert.Equal(text.Length - 1, rows[2].BytesConsumed);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("json")]
    public async Task MoreThanMaxRows_ThrowsAtTheFirstRowOverTheLimit(string format)
    {
        var stream = format == "csv"
            ? new GeneratedStream("phone,n\n", i => $"+1555{i:D7},{i}\n", ContactImport.MaxRows + 5)
            : new GeneratedStream("[", i => (i == 0 ? "" : ",") + $"{{\"phone\":\"+1555{i:D7}\"}}", ContactImport.MaxRows + 5, "]");
        long last = 0;
        var ex = await Assert.ThrowsAsync<ContactFormatException>(async () =>
        {
            await foreach (var row in ContactRowReader.ReadAsync(stream, format, CancellationToken.None))
            {
                last = row.Row;
            }
        });
        Assert.Equal("more than 1000000 rows", ex.Message);
        Assert.Equal(ContactImport.MaxRows, last);
        Assert.Equal(ContactImport.MaxRows + 1, ex.Row);
    }

    [Fact]
    public async Task Csv_200kRows_StreamsWithoutReadingFarAhead()
    {
        const int count = 200_000;
        var stream = new GeneratedStream("phone,first_name,last_name,company\n", i => $"+1 (555) {i:D7},First{i},\"Last, {i}\",Company {i % 97}\n", count);
        long rows = 0;
        long maxReadAhead = 0;
        await foreach (var row in ContactRowReader.ReadAsync(stream, "csv", CancellationToken.None))
        {
            rows++;
            Assert.Null(row.Error);
            maxReadAhead = Math.Max(maxReadAhead, stream.Produced - row.BytesConsumed);
        }
        Assert.Equal(count, rows);
        Assert.True(stream.Produced > 10_000_000, $"the generated upload is {stream.Produced} bytes");
        // The reader never pulled more than a buffer or two beyond the row it returned.
        Assert.InRange(maxReadAhead, 0, 2 * ContactRowReader.MaxRowBytes);
    }

    [Fact]
    public void UnknownFormat_Throws() =>
        Assert.Throws<ArgumentException>(() => ContactRowReader.ReadAsync(new MemoryStream(), "xlsx", CancellationToken.None));

    private static Task<List<ContactRow>> ReadAsync(string format, string text) => ReadAsync(format, Encoding.UTF8.GetBytes(text));

    private static Task<List<ContactRow>> ReadAsync(string format, byte[] bytes) => ReadAsync(format, new MemoryStream(bytes));

    private static async Task<List<ContactRow>> ReadAsync(string format, Stream stream)
    {
        var rows = new List<ContactRow>();
        await foreach (var row in ContactRowReader.ReadAsync(stream, format, CancellationToken.None))
        {
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>A non-seekable stream that makes its bytes on demand: a prefix, <c>count</c> lines, a suffix.</summary>
    private sealed class GeneratedStream(string prefix, Func<long, string> line, long count, string suffix = "") : Stream
    {
        private byte[] _pending = Encoding.UTF8.GetBytes(prefix);
        private int _pendingAt;
        private long _next;
        private bool _suffixDone;

        /// <summary>Bytes handed out so far.</summary>
        public long Produced { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length)
            {
                if (_pendingAt == _pending.Length && !Refill())
                {
                    break;
                }
                var n = Math.Min(buffer.Length - written, _pending.Length - _pendingAt);
                _pending.AsSpan(_pendingAt, n).CopyTo(buffer[written..]);
                _pendingAt += n;
                written += n;
            }
            Produced += written;
            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        private bool Refill()
        {
            string next;
            if (_next < count)
            {
                next = line(_next++);
            }
            else if (!_suffixDone)
            {
                _suffixDone = true;
                next = suffix;
            }
            else
            {
                return false;
            }
            _pending = Encoding.UTF8.GetBytes(next);
            _pendingAt = 0;
            return true;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Hands out at most <c>chunk</c> bytes per read, so rows straddle reads.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(chunk, buffer.Length)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(chunk, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(chunk, count), cancellationToken);
    }
}
