
use builtin;
use str;

set edit:completion:arg-completer[wsprobe] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'wsprobe'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'wsprobe'= {
            cand -H 'Add a request header, ''Name: value'' (repeatable)'
            cand --header 'Add a request header, ''Name: value'' (repeatable)'
            cand --origin 'Send an Origin header'
            cand -s 'Offer a subprotocol in Sec-WebSocket-Protocol (repeatable, in order of preference)'
            cand --subprotocol 'Offer a subprotocol in Sec-WebSocket-Protocol (repeatable, in order of preference)'
            cand -u 'Basic authentication, USER:PASS (user:pass@ in the URL works too)'
            cand --user 'Basic authentication, USER:PASS (user:pass@ in the URL works too)'
            cand -A 'The User-Agent header (default: wsprobe/VERSION; empty to send none)'
            cand --user-agent 'The User-Agent header (default: wsprobe/VERSION; empty to send none)'
            cand --cacert 'Trust the certificates in this PEM file, in addition to the built-in roots'
            cand --connect-timeout 'Give up connecting (name resolution, TCP and TLS) after SECS seconds'
            cand --handshake-timeout 'Give up waiting for the handshake response after SECS seconds'
            cand -d 'Send MSG first, before standard input (repeatable). @FILE sends the contents of FILE as one message'
            cand --data 'Send MSG first, before standard input (repeatable). @FILE sends the contents of FILE as one message'
            cand -c 'Exit after N messages have been received'
            cand --count 'Exit after N messages have been received'
            cand -w 'After input ends, close once no message has arrived for SECS seconds'
            cand --wait 'After input ends, close once no message has arrived for SECS seconds'
            cand --max-time 'Close the session after SECS seconds in all (exit status 10)'
            cand --close-code 'The code of the Close frame wsprobe sends'
            cand --close-reason 'The reason text of the Close frame wsprobe sends (at most 123 bytes)'
            cand --close-timeout 'How long to wait for the server''s Close after sending ours'
            cand --max-message-size 'The largest message (and frame) accepted from the server, in bytes'
            cand --ping-interval 'Send a ping every SECS seconds, to keep the connection alive and to notice a dead peer'
            cand --ping-timeout 'Fail (exit status 10) when a keepalive ping has no pong after SECS seconds (default: the ping interval)'
            cand --color 'When to use colour on stderr'
            cand --generate 'Write shell completions or the man page to stdout'
            cand -k 'Do not verify the server''s certificate chain or name'
            cand --insecure 'Do not verify the server''s certificate chain or name'
            cand -n 'Do not read standard input: send only the --data messages'
            cand --no-input 'Do not read standard input: send only the --data messages'
            cand -b 'Send binary messages instead of text, and write received binary messages to stdout byte for byte'
            cand --binary 'Send binary messages instead of text, and write received binary messages to stdout byte for byte'
            cand -0 'Standard input holds NUL-separated records, not lines'
            cand --null 'Standard input holds NUL-separated records, not lines'
            cand --whole 'Send all of standard input as one message'
            cand -i 'Use the interactive REPL even when standard output is not a terminal'
            cand --interactive 'Use the interactive REPL even when standard output is not a terminal'
            cand --no-repl 'Never start the REPL: on a terminal too, send each line as typed'
            cand --no-history 'Do not read or write the REPL history file'
            cand -v 'Show the connection and handshake (-v); repeat for more'
            cand --verbose 'Show the connection and handshake (-v); repeat for more'
            cand --pretty 'Indent JSON text messages (received, and sent by REPL commands)'
            cand --timestamps 'Start each line of the trace (and of the REPL) with the time of day (UTC, HH:MM:SS.mmm)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand --deterministic 'Testing only: fixed keys and masks, for byte-exact output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
