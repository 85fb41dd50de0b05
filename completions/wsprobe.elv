
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
            cand -w 'After input ends, close once no message has arrived for SECS seconds [default: 1; with --count, wait for the count]'
            cand --wait 'After input ends, close once no message has arrived for SECS seconds [default: 1; with --count, wait for the count]'
            cand --max-time 'Close the session after SECS seconds in all (exit status 10)'
            cand --close-code 'The code of the Close frame wsprobe sends'
            cand --close-reason 'The reason text of the Close frame wsprobe sends (at most 123 bytes)'
            cand --close-timeout 'How long to wait for the server''s Close after sending ours'
            cand --max-message-size 'The largest message (and frame) accepted from the server, in bytes'
            cand --har 'Write the session to FILE as HAR 1.2: the upgrade request and response, timings, and every message in _webSocketMessages (as browsers export them)'
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
            cand -v 'Show the connection and handshake (-v); repeat for more'
            cand --verbose 'Show the connection and handshake (-v); repeat for more'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand --json 'Write every event as one JSON object per line on stdout (NDJSON), instead of bare message payloads'
            cand --show-secrets 'Show Authorization, Proxy-Authorization, Cookie and Set-Cookie values in traces, --json and --har (they are redacted by default)'
            cand --timestamps 'Prefix trace lines with the seconds since wsprobe started'
            cand --deterministic 'Testing only: fixed keys and masks, for byte-exact output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
