-- Schema v7: a delivery names the format its body is rendered in when it is sent (format: null = the stored body, Outdial's
-- Standard Webhooks payload, is sent as is) and whether it waits for a batch tick and goes out with the other batched
-- deliveries of its format, account, URL and secret (batched).
ALTER TABLE webhook_deliveries ADD COLUMN format TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN batched INTEGER NOT NULL DEFAULT 0;

-- Rows written before: seed 002's result push (format 'ivr_result', the name its enum value was stored under in call
-- documents) was stored already rendered as {"CallResults": [...]}, which the format still accepts, and a batched row
-- was marked by a ':batch' suffix on its destination.
UPDATE webhook_deliveries SET format = 'ivr_result', batched = 1, destination = substr(destination, 1, length(destination) - 6)
WHERE substr(destination, -6) = ':batch';
UPDATE webhook_deliveries SET format = 'ivr_result'
WHERE format IS NULL AND substr(body, 1, 14) = '{"CallResults"';
