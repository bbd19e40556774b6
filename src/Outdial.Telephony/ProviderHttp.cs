using System.Net;

namespace Outdial.Telephony;

/// <summary>
/// The one HTTP exchange of the providers' REST clients (Twilio, Telnyx): each try limited to a request timeout (then
/// <see cref="TimeoutException"/>: the outcome is unknown), HTTP 429 retried up to a number of times after its
/// <c>Retry-After</c> (else 1, 2, 4... s), each wait cut to a maximum and run on the injected clock; any other non-2xx
/// answer becomes the provider's exception. Network failures surface as <see cref="HttpRequestException"/>.
/// </summary>
internal static class ProviderHttp
{
    /// <summary>
    /// Sends the request <paramref name="build"/> makes (a new one per try) and returns the body of a 2xx answer.
    /// </summary>
    /// <param name="provider">Name in the timeout message, e.g. <c>Twilio</c>.</param>
    /// <param name="error">The exception for a non-2xx answer: (response, body, its <c>Retry-After</c> relative to the clock).</param>
    /// <exception cref="TimeoutException">A try got no answer within <paramref name="requestTimeout"/>.</exception>
    public static async Task<string> SendAsync(HttpClient http, Func<HttpRequestMessage> build, string provider, TimeSpan requestTimeout,
        int maxRetries, TimeSpan maxRetryDelay, TimeProvider clock, Func<HttpResponseMessage, string, TimeSpan?, Exception> error, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = build();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(requestTimeout);
            HttpResponseMessage response;
            string body;
            try
            {
                response = await http.SendAsync(request, timeout.Token);
                body = await response.Content.ReadAsStringAsync(timeout.Token);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{provider} did not answer {request.Method} {request.RequestUri?.AbsolutePath} within {requestTimeout.TotalSeconds} s.", e);
            }
            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    return body;
                }
                var retryAfter = RetryAfter(response, clock);
                if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt >= maxRetries)
                {
                    throw error(response, body, retryAfter);
                }
                var wait = retryAfter ?? TimeSpan.FromSeconds(Math.Pow(2, attempt));
                await Task.Delay(wait < maxRetryDelay ? wait : maxRetryDelay, clock, ct);
            }
        }
    }

    /// <summary><c>Retry-After</c> as delta-seconds or an HTTP date (RFC 9110 §10.2.3), relative to <paramref name="clock"/>; null when absent.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider clock)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - clock.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }
}
