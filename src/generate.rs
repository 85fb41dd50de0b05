//! Shell completions and the man page, generated from the clap definition
//! in `cli.rs` (hidden `--generate KIND`). The committed copies under
//! `completions/` and `man/` are checked against this output by a test, so
//! they cannot drift. Nothing here depends on the date or the machine.

mod scripts;
use crate::cli::{Cli, Generate};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::{self, Write};

/// Write completions or the man page for `kind` to `w`.
pub fn generate(kind: Generate, w: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let shell = match kind {
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
        Generate::Powershell => Shell::PowerShell,
        Generate::Elvish => Shell::Elvish,
        Generate::Man => return man(w),
    };
    clap_complete::generate(shell, &mut cmd, "wsprobe", w);
    Ok(())
}

/// The file name each kind is committed under, relative to the repository.
pub fn committed_path(kind: Generate) -> &'static str {
    match kind {
        Generate::Bash => "completions/wsprobe.bash",
        Generate::Zsh => "completions/_wsprobe",
        Generate::Fish => "completions/wsprobe.fish",
        Generate::Powershell => "completions/_wsprobe.ps1",
        Generate::Elvish => "completions/wsprobe.elv",
        Generate::Man => "man/wsprobe.1",
    }
}

mod listen;

fn man(w: &mut dyn Write) -> io::Result<()> {
    // The examples and exit table are in after_help for --help; the man page
    // gets them as proper sections instead.
    let cmd = Cli::command().after_help(None::<&str>);
    let man = clap_mangen::Man::new(cmd);
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    let (before, after) = MAN_EXTRA
        .split_once(".SH \"EXIT STATUS\"")
        .unwrap_or((MAN_EXTRA, ""));
    w.write_all(listen::insert(before).as_bytes())?;
    scripts::section(w)?;
    if !after.is_empty() {
        w.write_all(b".SH \"EXIT STATUS\"")?;
        w.write_all(after.as_bytes())?;
    }
    man.render_version_section(w)?;
    Ok(())
}

const MAN_EXTRA: &str = r#".SH "INPUT AND OUTPUT"
When standard input is not a terminal, each line becomes one text message; the
line ending (\en or \er\en) is not sent, and a last line without a newline is
sent too.
\fB\-0\fR cuts records at NUL bytes instead, \fB\-\-whole\fR sends all of standard
input as one message, and \fB\-b\fR sends binary messages instead of text.
\fB\-d\fR messages are sent first; \fB\-n\fR does not read standard input at all.
.PP
Each received text message is written to standard output followed by a newline.
With \fB\-b\fR, received binary messages are written byte for byte with nothing
added. Without \fB\-b\fR, a binary message is written as one line of lowercase
hexadecimal (\fBxxd \-r \-p\fR reverses it); on a terminal as
\fB[binary N bytes]\fR and spaced hex pairs.
On a terminal, control, bidi and zero\-width characters in server text are
shown escaped; pipes receive the bytes unchanged.
Everything else (the \fB\-v\fR trace, warnings, errors) goes to standard error.
.SH "INTERACTIVE MODE"
When standard input and standard output are both terminals (and neither
\fB\-n\fR, \fB\-0\fR, \fB\-\-whole\fR nor \fB\-\-no\-repl\fR is given), wsprobe
opens a REPL instead of reading lines: a prompt that shows the host and the
connection state (\fBopen\fR, then \fBclosing\fR), line editing with Emacs keys
(vi keys when the readline init file, \fBINPUTRC\fR or \fB~/.inputrc\fR, says
\fBset editing\-mode vi\fR), Ctrl\-R history search, Tab completion of commands
(and of file names after \fB/file\fR), and bracketed paste: a pasted block,
newlines included, is sent as one message.
\fB\-i\fR starts the REPL even when standard output is not a terminal (it then
draws on /dev/tty); standard input must be a terminal.
Input that is not a terminal never reaches the line editor.
.PP
Each line typed is sent as a text message (binary with \fB\-b\fR); an empty
line sends nothing. Messages that arrive are printed above the prompt without
disturbing the line being typed: received ones start with \fB<\fR, ones sent by
a command with \fB>\fR, information with \fB*\fR (coloured on a terminal).
Multi\-line text is indented under its marker; binary messages are shown as
\fB[binary N bytes]\fR and hex (a hex dump past 32 bytes, the first 4096 bytes
of it); \fB\-\-pretty\fR indents JSON; \fB\-\-timestamps\fR starts every line with
the seconds since start. The \fB\-v\fR trace is printed the same way.
\fB\-d\fR messages are sent first, then the prompt takes over.
.PP
Keys: \fBCtrl\-D\fR on an empty line closes the connection gracefully (Close
with \fB\-\-close\-code\fR, 1000 by default, then waits for the server's answer).
\fBCtrl\-C\fR clears the line; a second Ctrl\-C on an empty line closes the same
way (exit status 0 when the server answers with 1000, not 130). When the server closes, the REPL shows its code, the code's name and the
reason, and wsprobe exits with the status the table below gives.
.PP
History is kept in \fB$XDG_STATE_HOME/wsprobe/history\fR (by default
\fB~/.local/state/wsprobe/history\fR), readable by the user only, 1000 lines.
Lines that start with a space, and lines that look like they carry a
credential (containing token, password, secret, authorization, bearer,
cookie, api_key and the like), are not saved. \fB\-\-no\-history\fR neither reads
nor writes the file.
.SH "REPL COMMANDS"
A line that starts with \fB/\fR is a command. The name ends at the first
space; exactly one space separates it from its argument, so payloads keep any
further spaces. A bad command or argument prints one error line and the
session goes on.
.TP
\fB/ping\fR [\fITEXT\fR]
Send a ping (payload at most 125 bytes). The pong is shown with its round\-trip
time.
.TP
\fB/pong\fR [\fITEXT\fR]
Send an unsolicited pong.
.TP
\fB/close\fR [\fICODE\fR [\fIREASON\fR]]
Start the close handshake. Without a code, \fB\-\-close\-code\fR and
\fB\-\-close\-reason\fR are used. CODE is 1000\-1003, 1007\-1014 or 3000\-4999;
REASON is at most 123 bytes.
.TP
\fB/binary\fR \fIHEX\fR
Send a binary message: hex digit pairs, spaces allowed, \fB0x\fR optional.
.TP
\fB/base64\fR \fIB64\fR
Send a binary message given in base64 (standard or URL\-safe, padding optional).
.TP
\fB/file\fR \fIPATH\fR
Send the file as one binary message (a backslash escapes the next character,
as Tab completion writes it).
.TP
\fB/text\fR \fITEXT\fR
Send TEXT as a text message, even when it starts with \fB/\fR.
.TP
\fB/frame\fR \fIOPCODE\fR[,\fIFLAG\fR...] [\fIPAYLOAD\fR]
Send one raw frame, for testing servers. OPCODE is \fBtext\fR, \fBbinary\fR,
\fBcont\fR, \fBclose\fR, \fBping\fR, \fBpong\fR or a number 0\-15 (decimal, or
0x0\-0xf), reserved ones included. FLAGs: \fBfin\fR (the default), \fBnofin\fR,
\fBrsv1\fR, \fBrsv2\fR, \fBrsv3\fR, and \fBhex\fR or \fBbase64\fR for how PAYLOAD is
written (default: as typed). The frame is masked as RFC 6455 requires and
nothing else is checked. A fragmented message is two frames:
\fB/frame text,nofin Hel\fR then \fB/frame cont lo\fR.
.TP
\fB/verbose\fR \fIN\fR
Set the trace level, 0 to 3, as \fB\-v\fR counts.
.TP
\fB/stats\fR
Messages and bytes sent and received, pings sent and answered with their
round\-trip times (minimum, mean, maximum), and the time since the connection
opened.
.TP
\fB/help\fR [\fICOMMAND\fR]
List the commands, or explain one (\fB/help frame\fR).
.TP
\fB/quit\fR
Close gracefully and exit, like Ctrl\-D.
.SH "KEEPALIVE"
\fB\-\-ping\-interval\fR SECS sends a ping every SECS seconds, in the REPL and in
pipe mode. When a ping has had no pong for \fB\-\-ping\-timeout\fR seconds
(default: the interval), the peer is taken for dead and wsprobe exits with
status 10. Pings from the server are always answered; \fB\-v\fR shows them in the
REPL, and keepalive pings and their round\-trip times too.
.SH "ENDING"
The session ends when the server closes, after \fB\-c\fR N messages, at
\fB\-\-max\-time\fR, or when standard input has ended and no message has arrived
for \fB\-w\fR seconds (default 1; the timer restarts with every message, and
\fB\-w 0\fR closes at once). With \fB\-c\fR and no \fB\-w\fR, wsprobe waits for
the N messages however long they take (bound it with \fB\-\-max\-time\fR).
wsprobe then sends a Close frame (\fB\-\-close\-code\fR, default 1000) and keeps
reading, and printing, until the server answers with its Close or
\fB\-\-close\-timeout\fR passes.
A Close from the server is answered at once.
With \fB\-\-echo\fR, every message received is sent back with its type,
standard input is not read, and the session lasts until the server closes
(or \fB\-c\fR, \fB\-\-max\-time\fR): the quiet timer does not apply.
.SH "COMPRESSION"
wsprobe offers permessage\-deflate (RFC 7692) by default, as browsers do, with
\fBSec\-WebSocket\-Extensions: permessage\-deflate; client_max_window_bits\fR;
\fB\-\-no\-compress\fR offers nothing.
Whatever the server answers is checked (an answer RFC 7692 forbids fails the
handshake, exit 7) and honoured: server_no_context_takeover,
client_no_context_takeover, server_max_window_bits and client_max_window_bits
from 9 to 15 bits. zlib has no 8\-bit window: with client_max_window_bits=8,
wsprobe sends its messages uncompressed, which the RFC allows for any message.
Compressed messages carry RSV1 on their first frame; control frames are never
compressed.
\fB\-v\fR names the agreed parameters on the Open line; \fB\-vv\fR marks
compressed frames (their bytes are shown as hex rows at \fB\-vvv\fR) and shows
each message's size and its size on the wire.
Inflating stops at \fB\-\-max\-message\-size\fR, so a small message that
inflates without end (a decompression bomb) fails the session with 1009
instead of filling memory.
.SH "TRACE"
\fB\-v\fR shows, on standard error and in the manner of curl, \fB*\fR lines for
name resolution, each TCP attempt, TLS (version, cipher suite, key exchange
group, ALPN), the request as sent (\fB>\fR lines), the response as received
(\fB<\fR lines; a non\-101 body too), with the Accept key marked (valid), a
timing breakdown (dns, tcp, tls, upgrade), and the close.
\fB\-vv\fR adds one line per frame in both directions, as the bytes pass:
\fB}\fR sent, \fB{\fR received, the opcode, \fBfin\fR, \fBrsv1\fR\-\fBrsv3\fR,
\fBmasked key=\fR, \fBlen=\fR, and the payload: a quoted, escaped preview of
text (120 bytes), \fB%04x:\fR hex rows for binary and control frames; Close
frames with their code, its name and the reason; fragments numbered; invalid
UTF\-8 and frames cut short pointed out; \fB*\fR lines give each compressed
message's size before and after permessage\-deflate.
\fB\-vvv\fR shows every payload as hex rows (1024 bytes), the server's
certificate chain (subject, issuer, names, validity, SHA\-256 fingerprint) and
how the expected Accept key is derived.
\fB\-\-timestamps\fR prefixes each trace line with the seconds since start.
Authorization, Proxy\-Authorization, Cookie and Set\-Cookie values are shown as
\fB[redacted]\fR (the scheme and cookie names stay) unless
\fB\-\-show\-secrets\fR.
.SH DIAGNOSTICS
When a run fails, wsprobe says why in one line (\fBwsprobe: error: ...\fR), then
the facts, then what to try (\fBhint:\fR lines). Among the causes it names:
.TP
name resolution
the name and the resolver's words (exit 3)
.TP
TCP
every address tried, each with refused, timed out or unreachable (exit 4)
.TP
TLS
an unknown or self\-signed issuer, an expired or not yet valid certificate
(with its dates), a name mismatch (the name asked and the names in the
certificate), a client certificate required, no version in common, a plain
HTTP server on the port (its reply is shown), a peer that closed during the
handshake (exit 5)
.TP
upgrade refused
the status, the telling headers and the body, explained: 200 (a plain page:
wrong path or port), 301/302/307/308 (where it points), 400, 401 (the
authentication scheme asked), 403 (often an Origin check), 404, 426 (the
versions wanted, when the response names them), 429 (Retry\-After), 5xx (exit 6)
.TP
the proxy in between
the reverse proxy or load balancer recognised from its answer (nginx, HAProxy,
Apache httpd, Caddy, Envoy, Traefik, Squid, Varnish, Cloudflare, AWS ELB,
Google's load balancer), and its classic failures with that proxy's fix: the
Upgrade and Connection headers not forwarded (a 505 for an HTTP/1.0 request, a
426 naming no version, a 400 or 426 naming the headers), the backend down (502,
a proxy's own 503), the backend too slow (504), a route to a plain HTTP
application (200), a TLS port answering a plain request (exit 6); a forward
proxy's refusal said as the proxy's (Squid's CONNECT rules, a SOCKS5 ruleset),
naming the variable or \fB\-x\fR it came from (exit 4)
.TP
invalid handshake
a reply that is not HTTP (shown; TLS bytes are recognised), a connection
closed before or during the response, a wrong Accept key (expected and
received values, and how the expected one is derived), a missing Upgrade or
Connection header (typical of proxies), a subprotocol or extension not offered,
a permessage\-deflate answer with parameters RFC 7692 forbids (the rule, and the
header sent and received) (exit 7)
.TP
protocol violation
a masked frame, RSV bits without an extension (RSV1 without permessage\-deflate
agreed), RSV1 on a control or continuation frame, a reserved opcode, a
fragmented or oversized control frame, a length not in its shortest form or
with the top bit set, a continuation with no message or a message inside
another, invalid UTF\-8 in text (found as soon as the bad byte arrives, inflated
or not) or in a Close reason, a Close code that may not be sent, compressed
data that does not inflate, a frame over \fB\-\-max\-frame\-size\fR or a message
over \fB\-\-max\-message\-size\fR (refused from its header, before any
allocation; a compressed one as it inflates): wsprobe closes with 1002, 1007
or 1009 and names the rule (exit 8)
.TP
abnormal close
the code, its name and the reason, who closed first; without a Close frame,
1006, what happened on TCP (EOF or reset) and how long the connection had been
silent each way; a silence that matches a proxy's idle timeout (its setting, a
well\-known default, a round number of seconds) is named as the likely cause,
with \fB\-\-ping\-interval\fR as the fix (exit 9)
.TP
timeouts
no handshake response, a response head that never completes, a Close never
answered, \fB\-\-max\-time\fR (exit 10)
.TP
unmet expectations
which \fB\-\-expect\fR waited, for how long, why it ended (timeout, the
server's Close, \fB\-c\fR), and the last messages that arrived instead
(exit 11)
.SH "JSON EVENTS"
With \fB\-\-json\fR, standard output carries one JSON object per line. Every
object has \fBevent\fR, \fBt\fR (seconds since start) and \fBtime\fR (UTC,
RFC 3339). Text is a JSON string; binary data, and text that is not UTF\-8,
is base64 in a field whose name ends in \fB_base64\fR. The events:
.TP
\fBresolve\fR
host, addresses, ms
.TP
\fBconnect_attempt\fR, \fBconnect_failed\fR, \fBconnect\fR
address; error (failed); ms
.TP
\fBtls\fR
version, cipher_suite, group, alpn, ms
.TP
\fBtls_chain\fR
certificates: subject, issuer, names, not_before, not_after, sha256
.TP
\fBtls_unverified\fR
problem (what verification found, with \fB\-k\fR)
.TP
\fBrequest\fR
method, target, version, headers (name, value)
.TP
\fBresponse\fR
version, status, reason, headers, accept_verified, body
.TP
\fBopen\fR
subprotocol, extensions (the agreed permessage\-deflate parameters, or null),
early_bytes, timing (dns_ms, tcp_ms, proxy_ms, tls_ms, upgrade_ms, total_ms)
.TP
\fBframe\fR
direction (sent, received), opcode, opcode_value, fin, rsv1, rsv2, rsv3, mask,
length, complete, invalid_utf8, compressed, fragment, continues, preview or
close_code and close_reason
.TP
\fBcompression\fR
direction, length (the message), compressed_length (its payload on the wire),
for each message compressed with permessage\-deflate
.TP
\fBmessage\fR
direction, type (text, binary), length, data
.TP
\fBping\fR, \fBpong\fR
direction, data
.TP
\fBclose\fR
direction, code, name, reason
.TP
\fBinput_end\fR
messages_sent, wait_ms
.TP
\fBclosed\fR
clean, initiator (client, server or null), code, ms
.TP
\fBwarning\fR
message
.TP
\fBexpect_met\fR
index, of, pattern (the flag and its argument), after_ms
.TP
\fBexec_end\fR
command, status (null when a signal ended it), signal
.TP
\fBretry\fR
attempt (2 for the first retry), of (null without a limit), delay_ms,
server_close_code (when the server closed as going away; otherwise the
\fBerror\fR event before it says why)
.TP
\fBerror\fR
class (usage, resolve, connect, proxy, tls, rejected, redirect,
malformed_response, invalid_handshake, protocol, abnormal_close, timeout, io,
input, expect, exec), exit_status, message, facts, hints
.TP
\fBproxy\fR, \fBproxy_request\fR, \fBproxy_response\fR, \fBsocks_auth\fR, \fBsocks_connect\fR, \fBtunnel\fR
the proxy's url and the setting that chose it; the CONNECT request_line and
headers (credentials redacted); the status_line, headers and body; the SOCKS5
user; target and remote_dns; target, proxy, ms
.TP
\fBresolve_override\fR, \fBconnect_to\fR, \fBconnect_unix\fR, \fBkey_log\fR, \fBredirect\fR
host, port, addresses (\-\-resolve); from, to (\-\-connect\-to); path, ms;
path (SSLKEYLOGFILE); status, url, hop, dropped_headers (\-L)
.PP
\fB\-\-har FILE\fR writes a HAR 1.2 file with one entry: the upgrade request
and response, timings, serverIPAddress and \fB_webSocketMessages\fR (type
send or receive, time in epoch seconds, opcode 1 or 2, data; base64 for
binary), as browsers export WebSocket sessions. It is written whatever the
outcome.
.SH "PROXIES"
\fB\-x\fR takes http:// (HTTP CONNECT), https:// (TLS to the proxy, then
CONNECT), socks5:// (SOCKS5, the server's name resolved by wsprobe) or
socks5h:// (SOCKS5, the name resolved by the proxy) URLs, with optional
user:pass@ credentials (or \fB\-\-proxy\-user\fR).
A URL without a scheme means http://; the port defaults to 1080 (443 for
https://).
Without \fB\-x\fR, the variables below choose the proxy; \fB\-x ''\fR
ignores them.
\fB\-v\fR shows every step: the CONNECT request and answer (credentials
redacted), or the SOCKS5 exchange, and how long the tunnel took.
A proxy that cannot be reached or refuses the tunnel ends the run with exit
status 4, not 6: status 6 is the WebSocket server's own refusal.
.SH "TLS"
\fB\-\-cacert\fR adds its certificates to the built-in roots (Mozilla's,
compiled in); it does not replace them.
Without \fB\-\-cacert\fR, \fBSSL_CERT_FILE\fR names such a file;
\fBSSL_CERT_DIR\fR is not read.
The same trust anchors check an https:// proxy, and \fB\-k\fR skips both
checks (verification still runs and its finding is printed as a warning).
\fB\-\-cert\fR and \fB\-\-key\fR present a client certificate; the key
may be PKCS#8, PKCS#1 or SEC1 PEM, and a key that does not belong to the
certificate is an error before connecting.
.SH "CONNECTING"
Addresses come from \fB\-\-resolve\fR, an address in the URL, or the
system resolver; \fB\-4\fR or \fB\-6\fR keeps one family.
They are tried in turn, IPv6 and IPv4 alternating, each attempt allowed an
equal share of the time left; \fB\-v\fR shows every attempt.
\fB\-\-connect\-to\fR and \fB\-\-resolve\fR keep the URL's host for the
Host header, the TLS server name and the certificate check.
\fB\-\-connect\-timeout\fR covers name resolution, TCP, the proxy and
TLS together.
With \fB\-L\fR, credentials (\fB\-u\fR, user:pass@, Authorization and
Cookie headers) and a custom Host header are not sent to another scheme,
host or port.
.SH "CHECK PROBES"
\fB\-\-check\fR URL runs these probes and prints one line per probe: the
verdict (\fBpass\fR: as RFC 6455 or 7692 requires; \fBwarn\fR: allowed, but a
SHOULD is not met or something needs a look; \fBfail\fR: a MUST is broken;
\fBinfo\fR: a measurement, or a probe that did not apply, saying why), its
name, the facts measured, and the RFC section of a warning or failure; then
a summary line. \fB\-\-json\fR writes the report as one JSON object
(\fB"event": "check"\fR, the probes with name, verdict, facts and rfc, and
the counts). The first connection is made alone: a server that cannot be
reached, or refuses the upgrade, gets the usual diagnosis and exit status.
Then the probe families run in parallel, each on connections of its own,
each within 2.5 s. Check sends deliberately invalid requests and frames,
which the server may log as errors.
.TP
\fBhandshake\fR
The 101: Upgrade and Connection tokens, Sec\-WebSocket\-Accept derived from
the key, the time to 101. Fail when one is wrong (RFC 6455 4.2.2).
.TP
\fBsubprotocol\fR
With \fB\-s\fR: pass when the server chose one offered, or none; fail when
it chose one not offered, or several (4.2.2). Info when none was offered.
.TP
\fBextensions\fR
Pass when the Sec\-WebSocket\-Extensions answer is empty or a valid
permessage\-deflate (RFC 7692 7.1); fail for an extension not offered (RFC
6455 9.1) or invalid parameters.
.TP
\fBversion\-8\fR
A request with Sec\-WebSocket\-Version: 8. Pass for 426 with
Sec\-WebSocket\-Version: 13; warn for another refusal status with that header,
or for a 101 (the server speaks draft 8 too, which section 4.4 allows); fail
for a refusal without the header, or no HTTP answer (4.4).
.TP
\fBno\-key\fR
A request without Sec\-WebSocket\-Key. Pass when refused with any status;
fail for a 101; warn when the connection ends without an HTTP answer
(4.2.1).
.TP
\fBping\fR
Five pings with payloads: pass when each gets a pong with the same payload,
with the round trip (min, median, max); fail otherwise (5.5.2).
.TP
\fBclose\fR
Our Close (1000): pass when a Close comes back (its code named), fail for a
drop, no answer, or a code that may not be sent (5.5.1, 7.4).
.TP
\fBunmasked\-frame\fR, \fBrsv\-bits\fR, \fBreserved\-opcode\fR, \fBfragmented\-ping\fR, \fBlong\-ping\fR, \fBstray\-continuation\fR, \fBinvalid\-utf8\fR
Each on its own connection: an unmasked text frame (5.1), a text frame with
RSV2 and RSV3 and no extension (5.2), opcode 0x3 (5.2), a ping without FIN
(5.5), a ping of 126 bytes (5.5), a continuation with nothing to continue
(5.4), a text message that is not UTF\-8 (8.1); then a valid ping. Pass when
the server closes with 1002 (1007 for UTF\-8); fail when it closes with
another code or none, or keeps going (answers the ping and has not closed
1 s later, sends a message, or neither closes nor drops); warn when it
drops TCP without a Close (7.1.7 says it should send one).
.TP
\fBecho\fR
Info: whether the server echoes a text message within 1.5 s. Only then do the
next four run; otherwise each says it was skipped.
.TP
\fBfragmented\fR
A text message in three frames must come back whole (5.4).
.TP
\fBcontrol\-in\-fragments\fR
A ping between two fragments must get its pong, and the message come back
whole (5.4, 5.5.2).
.TP
\fBfidelity\fR
Text (with multi\-byte characters) and binary of 0 B, 1 B, 125 B, 126 B,
65535 B, 64 KiB, 1 MiB and 4 MiB must come back byte for byte (fail
otherwise); a size the server refuses (a close, 1009 or other, or a drop),
or does not echo within 2.5 s, ends the probe as a pass that names the size.
With max\-message, it has 6 s in all, so that a slow path cannot make the
check long.
.TP
\fBmax\-message\fR
Info: the largest binary message echoed, from 64 KiB by factors of 4 up to
16 MiB (or \fB\-\-max\-message\-size\fR), and what the server did with the next.
.TP
\fBdeflate\fR
When permessage\-deflate is agreed and the server echoes: a compressible
message sent compressed, twice. Pass when the server inflated ours and its
compressed echoes inflate; fail when they do not (RFC 7692 7.2.2). Info when
not agreed, not offered (\fB\-\-no\-compress\fR) or no echo.
.TP
\fBcontext\-takeover\fR
Pass when the second copy came back smaller (the server kept its context),
or each inflated alone when server_no_context_takeover was agreed; info when
the server did not use its context (allowed).
.TP
\fBtls\fR
For wss://: version and suite, days until the certificate expires (warn
under 14, fail when expired), how many certificates were presented, and
whether the chain verified (rustls fetches no missing intermediate, so a
verified chain is complete); warn with \fB\-k\fR, naming what verification
would have said. Info for ws://.
.TP
\fBidle\fR
Only with \fB\-\-idle\fR SECS. Info: how long a connection on which we send
nothing lives, up to SECS, and who ended it: a Close with its code, or a
drop without one (often a proxy's idle timeout).
.SH "EXIT STATUS"
.TP
\fB0\fR
Clean: the close handshake completed with 1000 or 1001 (or no code), or the run
ended as asked.
.TP
\fB1\fR
Other error.
.TP
\fB2\fR
Usage error (bad flag, URL or header; unreadable file).
.TP
\fB3\fR
Name resolution failed.
.TP
\fB4\fR
Connect failed or timed out: TCP, a unix socket, or a proxy that cannot be
reached or will not open a tunnel (CONNECT refused, 407, a SOCKS5 failure).
.TP
\fB5\fR
TLS failed, with the server or with an https:// proxy.
.TP
\fB6\fR
Upgrade rejected: the server answered with a status other than 101; with
\fB\-L\fR, also too many redirects or a location that cannot be followed.
.TP
\fB7\fR
Invalid handshake response (not HTTP, Accept key, Upgrade/Connection,
subprotocol, extensions).
.TP
\fB8\fR
Protocol violation by the server during the session (with \fB\-l \-\-once\fR:
by the client).
.TP
\fB9\fR
Connection closed abnormally: a close code other than 1000/1001, or no Close
frame (1006).
.TP
\fB10\fR
Timeout after connecting (handshake response, Close answer, \fB\-\-max\-time\fR,
a keepalive ping without pong).
.TP
\fB11\fR
An expectation (\fB\-\-expect\fR, \fB\-\-expect\-json\fR) was not met: it timed
out, or the session ended first.
.TP
\fB12\fR
The \fB\-\-exec\fR program exited with a status other than 0, was killed by a
signal, or stopped reading while messages still arrived.
\fB13\fR
\fB\-\-check\fR: at least one probe failed (warnings and info do not count).
A server that cannot be checked at all gets the statuses above (3 to 7).
.TP
\fB130\fR
Interrupted by Ctrl\-C in pipe mode, or in the REPL before its prompt
appears: wsprobe does not catch SIGINT in client mode, so the signal ends it
and the shell reports 128 + 2 (listen mode catches it, closes every client
with 1001 and exits 0). At the REPL prompt Ctrl\-C is a key: twice on an empty line
closes, and the status is that of the close (0 when the server answers with
1000).
.SH EXAMPLES
.TP
\fBwsprobe wss://example.com/chat\fR
On a terminal: an interactive session (type \fB/help\fR).
.TP
\fBprintf '%s\en' a b | wsprobe ws://127.0.0.1:8080/echo \-c 2\fR
Send two lines and exit after two replies.
.TP
\fBwsprobe \-n \-d '{"op":"subscribe"}' \-w 5 wss://example.com/feed\fR
Send one message and print what arrives until five seconds pass quietly.
.TP
\fBwsprobe \-b \-\-whole ws://host/echo < in.bin > out.bin\fR
Send a file as one binary message and save the binary reply.
.TP
\fBwsprobe \-v wss://example.com/socket\fR
Show name resolution, TCP, TLS, the exact handshake and a timing breakdown.
.TP
\fBwsprobe \-x http://proxy.corp:3128 \-\-proxy\-user alice:s3cret wss://echo.example/\fR
Go through an HTTP proxy that wants Basic credentials.
.TP
\fBwsprobe \-\-cacert corp\-root.pem \-\-cert me.pem \-\-key me.key wss://internal/\fR
Trust a private CA and present a client certificate.
.TP
\fBwsprobe \-\-echo 'ws://127.0.0.1:9001/runCase?case=1&agent=wsprobe'\fR
Answer a test server: every message goes back as it came (the Autobahn
TestSuite's client cases).
.TP
\fBwsprobe \-n \-d '{"op":"ping"}' \-\-expect '"pong"' \-\-write\-out '%{time_open} %{http_code}\en' wss://host/ws\fR
A health check: send one message, wait for the reply (exit 11 if it does not
come within 10 s), print the time to open and the status.
.SH ENVIRONMENT
.TP
\fBNO_COLOR\fR, \fBCLICOLOR_FORCE\fR, \fBTERM\fR
Colour on standard error, with \fB\-\-color auto\fR.
.TP
\fBXDG_STATE_HOME\fR, \fBHOME\fR
Where the REPL history is kept.
.TP
\fBINPUTRC\fR
The readline init file read for \fBset editing\-mode vi\fR (default
\fB~/.inputrc\fR).
.TP
\fBSSLKEYLOGFILE\fR
Append TLS session secrets to this file (created readable by its owner
only), in the NSS key log format Wireshark reads.
.TP
\fBSSL_CERT_FILE\fR
Without \fB\-\-cacert\fR: a PEM file of trust anchors added to the
built-in roots.
.TP
\fBws_proxy\fR, \fBhttp_proxy\fR
The proxy for ws:// URLs (the first one set; lowercase names before
uppercase ones).
.TP
\fBwss_proxy\fR, \fBhttps_proxy\fR
The proxy for wss:// URLs.
.TP
\fBall_proxy\fR
The proxy for both, when the above are not set.
.TP
\fBno_proxy\fR
Hosts to reach without a proxy, comma-separated: a name matches itself and
its subdomains, an address itself, ADDR/BITS a network, * everything.
\fB\-\-noproxy\fR replaces it.
"#;
