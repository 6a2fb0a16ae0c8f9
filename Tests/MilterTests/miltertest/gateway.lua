-- The gateway's cases through miltertest (OpenDKIM's MTA simulator), a second client
-- independent of pmark's own. Run with: miltertest -D socket=unix:/path -D reject="550 …" -s gateway.lua
-- pmark must listen on `socket` with --daemon-direction MX=inbound --daemon-direction ORIGINATING=outbound
-- and the default policy. Every failure is an error (non-zero exit).

local function check(ok, what)
  if not ok then error("FAILED: " .. what) end
  mt.echo("ok: " .. what)
end

-- One whole transaction on a fresh connection; returns the connection after end of message.
local function transaction(daemon, from, rcpts, subject)
  local conn = mt.connect(socket, 20, 0.1)
  check(conn ~= nil, "connect to " .. socket)
  check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
  check(mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon) == nil, "connect macros")
  check(mt.conninfo(conn, "client.example.com", "192.0.2.1") == nil, "conninfo")
  check(mt.macro(conn, SMFIC_MAIL, "i", "MT" .. daemon) == nil, "mail macros")
  check(mt.mailfrom(conn, "<" .. from .. ">") == nil, "mailfrom")
  for _, r in ipairs(rcpts) do check(mt.rcptto(conn, "<" .. r .. ">") == nil, "rcptto " .. r) end
  check(mt.header(conn, "From", from) == nil, "header From")
  check(mt.header(conn, "Subject", subject) == nil, "header Subject")
  check(mt.header(conn, "Message-ID", "<mt@test.example>") == nil, "header Message-ID")
  check(mt.eoh(conn) == nil, "eoh")
  check(mt.bodystring(conn, "Kia ora.\r\n") == nil, "body")
  check(mt.eom(conn) == nil, "eom")
  return conn
end

-- RESTRICTED to an internal and an internet recipient: the internet one is removed, the message accepted.
local c = transaction("ORIGINATING", "aroha@agency.govt.nz", {"bob@agency.govt.nz", "someone@example.com"}, "[RESTRICTED] budget")
check(mt.getreply(c) == SMFIR_ACCEPT, "RESTRICTED split: accepted")
check(mt.eom_check(c, MT_RCPTDELETE, "<someone@example.com>"), "RESTRICTED split: internet recipient deleted")
check(not mt.eom_check(c, MT_RCPTDELETE, "<bob@agency.govt.nz>"), "RESTRICTED split: internal recipient kept")
check(not mt.eom_check(c, MT_QUARANTINE), "RESTRICTED split: not quarantined")
mt.disconnect(c)

-- Unmarked outbound: held (quarantine) with a generic reason.
c = transaction("ORIGINATING", "aroha@agency.govt.nz", {"someone@example.com"}, "lunch")
check(mt.getreply(c) == SMFIR_ACCEPT, "unmarked outbound: accepted into the queue")
check(mt.eom_check(c, MT_QUARANTINE), "unmarked outbound: quarantined")
check(mt.eom_check(c, MT_QUARANTINE, "held by the email gateway's policy"), "unmarked outbound: generic hold reason")
mt.disconnect(c)

-- SECRET inbound: rejected with the generic 5.7.1 text.
c = transaction("MX", "spy@example.com", {"bob@agency.govt.nz"}, "[SECRET] plans")
check(mt.getreply(c) == SMFIR_REPLYCODE, "SECRET inbound: reply code")
check(mt.eom_check(c, MT_SMTPREPLY, "550", "5.7.1", reject), "SECRET inbound: generic 5.7.1 text")
mt.disconnect(c)

-- Unmarked inbound (allow-and-tag): accepted with the tag header.
c = transaction("MX", "friend@example.com", {"bob@agency.govt.nz"}, "hello")
check(mt.getreply(c) == SMFIR_ACCEPT, "unmarked inbound: accepted")
check(mt.eom_check(c, MT_HDRADD, "X-Pmark-Tag"), "unmarked inbound: tag header added")
mt.disconnect(c)

-- Abort and a second message on the same connection.
c = mt.connect(socket, 20, 0.1)
check(mt.negotiate(c, nil, nil, nil) == nil, "negotiate (abort case)")
check(mt.macro(c, SMFIC_CONNECT, "{daemon_name}", "MX") == nil, "connect macros (abort case)")
check(mt.conninfo(c, "client.example.com", "192.0.2.1") == nil, "conninfo (abort case)")
check(mt.mailfrom(c, "<spy@example.com>") == nil, "mailfrom (aborted)")
check(mt.rcptto(c, "<bob@agency.govt.nz>") == nil, "rcptto (aborted)")
check(mt.header(c, "Subject", "[SECRET] aborted") == nil, "header (aborted)")
check(mt.abort(c) == nil, "abort")
check(mt.mailfrom(c, "<friend@example.com>") == nil, "mailfrom (second)")
check(mt.rcptto(c, "<bob@agency.govt.nz>") == nil, "rcptto (second)")
check(mt.header(c, "From", "friend@example.com") == nil, "header From (second)")
check(mt.header(c, "Subject", "[UNCLASSIFIED] fine") == nil, "header Subject (second)")
check(mt.eoh(c) == nil, "eoh (second)")
check(mt.bodystring(c, "Kia ora.\r\n") == nil, "body (second)")
check(mt.eom(c) == nil, "eom (second)")
check(mt.getreply(c) == SMFIR_ACCEPT, "after abort: the second message is decided on its own (accepted)")
mt.disconnect(c)
mt.echo("all miltertest cases passed")
