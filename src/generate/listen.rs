//! Listen mode's parts of the man page: the LISTEN MODE section (before
//! DIAGNOSTICS) and its events in JSON EVENTS (before the --har
//! paragraph), kept apart from the rest of the page's text.

/// The LISTEN MODE section.
const LISTEN_MODE: &str = r#".SH "LISTEN MODE"
\fBwsprobe \-l [ADDR:]PORT\fR is the server, for debugging the client side (a
page's JavaScript, a Python or Node client). It listens on 127.0.0.1 unless
ADDR is given (\fB\-l 0.0.0.0:8080\fR, \fB\-l [::]:8080\fR); port 0 picks a
free port. The first line on standard error is \fB* Listening on
ws://ADDR:PORT/\fR, shown without \fB\-v\fR; \fB\-q\fR hides it with the
other informational lines, and a script that uses \fB\-q\fR reads the
\fBlistening\fR event of \fB\-\-json\fR instead.
.PP
Clients are numbered #1, #2, ... in the order they connect; every stderr
line about one starts \fB* #ID\fR (\fB< #ID\fR, \fB> #ID\fR, \fB{ #ID\fR,
\fB} #ID\fR for its request, our response and its frames). Without
\fB\-v\fR each client's open, refusal and end is one line, naming its
address and, for a refusal or a protocol error, the rule broken (RFC 6455
section 4.2.1 for the request, section 5 for frames) and the status or
close code answered: 400 for a method other than GET, HTTP/1.0, no Host, an
Upgrade or Connection header without its token, a missing or malformed
Sec\-WebSocket\-Key; 426 with Sec\-WebSocket\-Version: 13 for another
version; 426 with a short text/plain page for a plain HTTP request (the line
says whether it looks like a browser tab, a proxy that stripped the upgrade,
or a plain fetch); 503 past \fB\-\-max\-clients\fR; 408 for a request head
not complete within \fB\-\-handshake\-timeout\fR (a client that trickles
bytes is cut off); 431 past 64 KiB. After the 101, frames are judged as in
client mode, with the server's rules: an unmasked frame, reserved bits or
opcodes, fragmented or long control frames (1002), invalid UTF\-8 (1007), a
message over \fB\-\-max\-message\-size\fR (1009); the client is closed and
the others go on. \fB\-v\fR shows each request head as received (Cookie
and Authorization redacted) and our response; \fB\-vv\fR the frames.
.PP
Messages from clients go to standard output as in client mode: on a pipe
the payloads alone, one message per line (\fB\-b\fR: binary byte for byte),
never interleaved within a message; on a terminal each starts with
\fB#ID\fR; \fB\-\-json\fR \fBmessage\fR events carry \fBclient\fR.
Standard input (lines, \fB\-0\fR, \fB\-\-whole\fR, \fB\-b\fR) and
\fB\-d\fR go to every connected client. Input is taken only while a client
is connected and keeping up (under 256 KiB queued), so what is read before
the first client connects waits for it, in the input queue (two reads of
at most 64 KiB; stdin is not read further meanwhile), and the end of
standard input does not stop the server. A client with more than 4 MiB
queued has stopped reading: it is disconnected as too slow and the others
go on. \fB\-\-echo\fR sends every message back to its sender with its
type, and does not read standard input.
.PP
The server runs until Ctrl\-C (every client is closed with 1001, exit status
0) or \fB\-\-max\-time\fR (the same). \fB\-\-once\fR serves one client and
exits with that session's status by the table below (others get 503 in
the meantime): its session ends as a client session does, by the client's
Close, \fB\-c\fR, \fB\-w\fR after input ends (not with \fB\-\-echo\fR), or
\fB\-\-max\-time\fR (counted from the start, exit status 10).
\fB\-\-accept\-subprotocol\fR names the subprotocols to accept: the first the
client offers is chosen, none without it. \fB\-H\fR adds response headers.
permessage\-deflate is accepted when offered (\fB\-\-no\-compress\fR declines).
\fB\-\-tls\-cert FILE \-\-tls\-key FILE\fR serve wss:// (TLS 1.2 and 1.3,
ALPN http/1.1); a file that cannot be used is a usage error (status 2)
before anything listens, a client that speaks plain HTTP to it is answered
400 in plain text, and a failed TLS handshake is one line.
\fB\-\-static DIR\fR answers plain GET requests with the files in DIR
(index.html for a directory; Content\-Type by extension), so that a page and
its WebSocket share one origin: read\-only, 403 for a path that leads outside
DIR (\fB..\fR, encoded or not, or a symlink), 404 for a missing file; each
request is one line.
"#;

/// Listen mode's entries of JSON EVENTS.
const LISTEN_JSON_EVENTS: &str = r#".TP
\fBlistening\fR
listen mode (\fB\-l\fR): address, port (the one the OS picked for port 0),
url, secure (wss://); the first event of the run
.TP
\fBaccepted\fR, \fBrequest\fR, \fBresponse\fR, \fBrefused\fR
listen mode, each with \fBclient\fR (the client's id, 1, 2, ...): address;
the client's request head (method, target, version, headers, credentials
redacted); our response (as above, body included); status (null when
nothing was answered), rule (method, http_version, no_host, plain_http,
plain_http_browser, plain_http_proxied, upgrade_stripped, upgrade,
connection, no_key, bad_key, version, max_clients, tls, not_http,
too_large, timeout, tls_handshake, plain_over_tls, closed_early) and
message
.TP
\fBfile\fR
listen mode with \fB\-\-static\fR, with \fBclient\fR: address, path, status,
outcome (sent, not_found, outside, bad_path, failed), length and
content_type (when sent)
.TP
\fBclient_open\fR, \fBclient_end\fR
listen mode, with \fBclient\fR: address, path, subprotocols_offered,
subprotocol, extensions; address, ms, messages_received, how (closed,
protocol_error, dropped), code, and for closed: reason, clean, initiator;
for protocol_error: rule; for dropped: detail. The \fBframe\fR,
\fBmessage\fR, \fBping\fR, \fBpong\fR, \fBclose\fR and
\fBcompression\fR events of a client carry \fBclient\fR too; a
\fBmessage\fR sent (standard input, \-d) has none: it goes to every
connected client.
"#;

/// `page` with listen mode's parts inserted where they belong.
pub fn insert(page: &str) -> String {
    let mut out = page.to_string();
    if let Some(i) = out.find(".SH DIAGNOSTICS") {
        out.insert_str(i, LISTEN_MODE);
    }
    if let Some(i) = out.find(".PP\n\\fB\\-\\-har FILE\\fR") {
        out.insert_str(i, LISTEN_JSON_EVENTS);
    }
    out
}
