-- Attempts whose recording the provider never reported (Attempt.AwaitsRecording), for the reconciler to ask about.
ALTER TABLE call_attempts ADD COLUMN awaits_recording INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_attempts_awaiting_recording ON call_attempts(updated_at) WHERE awaits_recording = 1;
