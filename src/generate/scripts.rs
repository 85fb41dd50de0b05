//! The man page's SCRIPTS section: --expect, --expect-json, --write-out
//! (its variables from the table the parser uses) and --exec.

use std::io::{self, Write};

/// SCRIPTS: --expect, --expect-json and --write-out, with the variable
/// list taken from the table the parser uses, so the two cannot differ.
pub(super) fn section(w: &mut dyn Write) -> io::Result<()> {
    w.write_all(SCRIPTS.as_bytes())?;
    for (name, what, _) in crate::script::writeout::VARIABLES {
        let name = name.replace('_', "\\_");
        writeln!(w, ".TP\n\\fB%{{{name}}}\\fR\n{what}")?;
    }
    w.write_all(EXEC.as_bytes())
}

const SCRIPTS: &str = r#".SH "SCRIPTS"
\fB\-\-expect PATTERN\fR waits for a received message in which the regular
expression PATTERN (the Rust regex crate's syntax, without its Unicode
classes: \fB\ed\fR and \fB\ew\fR are ASCII) matches; \fB\-\-expect\-json
TEST\fR waits for a JSON message that passes TEST, a jq path alone
(\fB.ok\fR: present, and neither null nor false), compared with \fB==\fR or
\fB!=\fR to a JSON value (\fB.type == "welcome"\fR, \fB.data.items[0].id != 0\fR,
\fB.["odd key"] == null\fR), or with \fB<\fR, \fB<=\fR, \fB>\fR or \fB>=\fR to a
number (\fB.version >= 2\fR); numbers compare by value, as in jq. Both flags repeat, and
the expectations are met one after the other in command\-line order, each
within \fB\-\-expect\-timeout\fR (10 s by default) of the one before (or of the
connection opening). Messages print as usual meanwhile. When the last one is
met, wsprobe closes cleanly at once and exits 0, whatever stdin or \fB\-w\fR
would have done. When one is not met in time, or the server closes first, or
\fB\-c\fR ends the session first, wsprobe closes and exits 11, naming the
expectation, how long it waited and the last three messages that came instead.
.PP
\fB\-\-write\-out FORMAT\fR writes FORMAT once at the end of the run, whatever
its outcome, after every message (stdout is flushed first). As in curl:
\fB%{name}\fR is a variable, \fB%%\fR a percent sign, \fB\en\fR, \fB\er\fR,
\fB\et\fR and \fB\e\e\fR the usual escapes; \fB%{stderr}\fR and
\fB%{stdout}\fR send what follows to that stream, \fB%output{FILE}\fR to FILE
(\fB%output{>>FILE}\fR appends); \fB@FILE\fR as the whole argument reads the
format from FILE. Times are in seconds with six decimals, and each is its own
phase (not cumulative as curl's are); a value that does not apply (no
connection, no pong) is empty, and null in \fB%{json}\fR. The variables:
"#;

const EXEC: &str = r#".PP
\fB\-\-exec COMMAND\fR runs COMMAND with \fBsh \-c\fR once the connection is
open: what it writes to its stdout is cut into messages as stdin would be
(lines, \fB\-0\fR records, \fB\-\-whole\fR, \fB\-b\fR), after the \fB\-d\fR messages;
each message received is written to its stdin followed by a newline (a NUL
with \fB\-0\fR, nothing with \fB\-\-whole\fR), and not to wsprobe's stdout. Its
stderr is wsprobe's; it sees \fBWSPROBE_URL\fR and, when one was agreed,
\fBWSPROBE_SUBPROTOCOL\fR. When it closes its stdout or exits, the session closes
(after \fB\-w\fR, 0 by default here); when the server ends the session first,
its stdin closes, and it has 2 s to exit before SIGTERM (then SIGKILL, 2 s
later). A program that stops reading holds the server back instead of filling
memory: at most 16 messages wait for it, then wsprobe stops reading the
socket. A status other than 0, a signal, or messages that arrived after it
stopped reading make the exit status 12, with the status or the signal named.
.PP
With \fB\-l\fR, \fB\-\-exec\fR runs one program per client, as websocketd does:
it starts when the client's upgrade completes, talks to that client alone,
and its exit closes that client with 1000 (a client that leaves closes the
program's stdin). Its environment holds the request under the names CGI
uses: \fBPATH_INFO\fR, \fBQUERY_STRING\fR, \fBREQUEST_URI\fR, \fBREMOTE_ADDR\fR,
\fBREMOTE_PORT\fR, \fBSERVER_NAME\fR, \fBSERVER_PORT\fR, \fBREQUEST_METHOD\fR,
every request header as \fBHTTP_NAME\fR (\fBHTTP_ORIGIN\fR,
\fBHTTP_USER_AGENT\fR, ...), and \fBWSPROBE_CLIENT_ID\fR. How each program ended
is shown with \fB\-v\fR, a failure always; with \fB\-\-once\fR a failed program
makes the exit status 12.
"#;
