
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
            cand --cert 'Client certificate for mutual TLS: a PEM file, leaf first, then any intermediates (the private key may follow in the same file)'
            cand --key 'The private key of --cert: PEM, PKCS#8 (''PRIVATE KEY''), PKCS#1 (''RSA PRIVATE KEY'') or SEC1 (''EC PRIVATE KEY''), not encrypted'
            cand --tls-min 'The lowest TLS version to accept (default 1.2)'
            cand --tls-max 'The highest TLS version to offer (default 1.3)'
            cand --sni 'Send NAME as the TLS server name (SNI), and check the certificate against NAME instead of the URL''s host'
            cand -x 'Connect through this proxy: an http://, https://, socks5:// or socks5h:// URL, with USER:PASS@ before the host if it wants them'
            cand --proxy 'Connect through this proxy: an http://, https://, socks5:// or socks5h:// URL, with USER:PASS@ before the host if it wants them'
            cand --proxy-user 'Credentials for the proxy, USER:PASS (Basic for http(s)://, username/password for SOCKS5). Overrides user:pass@ in the proxy URL'
            cand --noproxy 'Hosts to reach without a proxy, comma-separated (''*'' for all). Overrides the no_proxy variable'
            cand --unix-socket 'Connect to this unix domain socket instead of the URL''s host; the URL still gives the Host header, the path and ws:// or wss://'
            cand --abstract-unix-socket 'Like --unix-socket, for a socket in Linux''s abstract namespace (NAME without the leading NUL byte)'
            cand --resolve 'Use ADDR for HOST:PORT instead of asking the resolver (repeatable; ADDR may be a comma-separated list; HOST may be ''*'')'
            cand --connect-to 'Connect to HOST2:PORT2 whenever HOST:PORT is asked for (repeatable; an empty field matches anything, or keeps the original)'
            cand --max-redirs 'With -L, the most redirects to follow'
            cand --connect-timeout 'Give up connecting after SECS seconds: name resolution, TCP, the proxy and TLS together'
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
            cand --max-message-size 'The largest message accepted from the server, in bytes (after decompression); a larger one fails the session with close code 1009'
            cand --max-frame-size 'The largest frame accepted from the server, in bytes as sent (default: the --max-message-size limit)'
            cand --expect 'Wait until a received message matches the regular expression PATTERN (repeatable: met in order, with --expect-json)'
            cand --expect-json 'Wait until a received JSON message passes TEST, a jq path alone (it must be neither null nor false) or compared with == or != to a JSON value, or with <, <=, > or >= to a number: ''.type == "welcome"'', ''.data.id != 0'', ''.version >= 2'', ''.ok'' (see the man page, SCRIPTS). Repeatable; met in order with --expect'
            cand --expect-timeout 'How long each --expect or --expect-json waits, from the moment the one before it was met (or the connection opened)'
            cand --write-out 'At the end, whatever the outcome, write FORMAT with its %{variables} filled in, as curl''s --write-out does: to stdout after the messages'
            cand --retry 'After a drop or a failed connection, connect again, up to N times (or ''forever''), replaying the -d messages on each new connection'
            cand --retry-delay 'The wait before the first retry; it doubles after each'
            cand --retry-max-time 'Start no retry once SECS have passed since the first attempt'
            cand --exec 'Run COMMAND (with sh -c) on the connection: each line it writes (or record, with -0, --whole, -b) is sent as a message, and each message received is written to its stdin, followed by a newline (NUL with -0, nothing with --whole). Its stderr is wsprobe''s'
            cand --ping-interval 'Send a ping every SECS seconds, to keep the connection alive and to notice a dead peer [REPL default: 20, with --ping-timeout 20]'
            cand --ping-timeout 'Fail (exit status 10) when a keepalive ping has no pong after SECS seconds (default: the ping interval)'
            cand --idle 'With --check, also measure how long a silent connection lives (up to SECS) and who ends it: a Close with a code, or a drop (often a proxy''s idle timeout)'
            cand --har 'Write the session to FILE as HAR 1.2: the upgrade request and response, timings, and every message in _webSocketMessages (as browsers export them)'
            cand --color 'When to use colour on stderr'
            cand --generate 'Write shell completions or the man page to stdout'
            cand --compress 'Offer permessage-deflate compression (RFC 7692), as browsers do: on by default'
            cand --no-compress 'Offer no compression (no Sec-WebSocket-Extensions header): frames on the wire then carry the messages as they are'
            cand -k 'Do not verify the server''s certificate chain or name'
            cand --insecure 'Do not verify the server''s certificate chain or name'
            cand --no-sni 'Send no TLS server name (SNI); the certificate is still checked against the URL''s host'
            cand -4 'Use IPv4 addresses only'
            cand --ipv4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --ipv6 'Use IPv6 addresses only'
            cand -L 'Follow redirects (301, 302, 303, 307, 308) of the upgrade request'
            cand --location 'Follow redirects (301, 302, 303, 307, 308) of the upgrade request'
            cand -n 'Do not read standard input: send only the --data messages'
            cand --no-input 'Do not read standard input: send only the --data messages'
            cand -b 'Send binary messages instead of text, and write received binary messages to stdout byte for byte'
            cand --binary 'Send binary messages instead of text, and write received binary messages to stdout byte for byte'
            cand -0 'Standard input holds NUL-separated records, not lines'
            cand --null 'Standard input holds NUL-separated records, not lines'
            cand --whole 'Send all of standard input as one message'
            cand --echo 'Send every message received back to the server, with the same type (text as text, binary as binary)'
            cand -i 'Use the interactive REPL even when standard output is not a terminal'
            cand --interactive 'Use the interactive REPL even when standard output is not a terminal'
            cand --no-repl 'Never start the REPL: on a terminal too, send each line as typed'
            cand --no-history 'Do not read or write the REPL history file'
            cand --check 'Check the server at URL instead of opening a session: run a battery of probes, some of which send deliberately invalid frames, and print a report (exit status 13 when a probe failed)'
            cand -v 'Show the connection and handshake (-v); repeat for more'
            cand --verbose 'Show the connection and handshake (-v); repeat for more'
            cand --pretty 'Indent JSON text messages (received, and sent by REPL commands)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand --json 'Write every event as one JSON object per line on stdout (NDJSON), instead of bare message payloads'
            cand --show-secrets 'Show Authorization, Proxy-Authorization, Cookie and Set-Cookie values in traces, --json and --har (they are redacted by default)'
            cand --timestamps 'Start each trace line (and each REPL line) with the seconds since wsprobe started'
            cand --deterministic 'Testing only: fixed keys and masks, for byte-exact output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
