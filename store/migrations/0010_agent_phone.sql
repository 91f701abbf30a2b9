-- 0010: what kind of phone a seat has: a desk (or any SIP) phone, or the
-- WebRTC softphone inside the console. The agent desk offers answer and
-- hang-up buttons only where the phone can be driven from the page.
ALTER TABLE agents ADD COLUMN phone_kind TEXT NOT NULL DEFAULT 'sip' CHECK (phone_kind IN ('sip', 'webrtc'));
