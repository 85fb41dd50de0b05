complete -c wsprobe -s l -l listen -d 'Be the server: listen on [ADDR:]PORT for WebSocket clients, show what they send and diagnose what they do wrong.' -r
complete -c wsprobe -l max-clients -d 'With -l, the most clients connected at once; one more is answered 503 Service Unavailable' -r
complete -c wsprobe -l accept-subprotocol -d 'With -l, accept this subprotocol (repeatable): the first one the client offers that is accepted is chosen. Without it none is chosen (-v shows what was offered)' -r
complete -c wsprobe -l tls-cert -d 'With -l, serve wss://: the certificate chain, PEM, leaf first (with --tls-key)' -r -F
complete -c wsprobe -l static -d 'With -l, answer plain GET requests with the files in DIR (index.html for a directory), so that a page and its WebSocket share one origin' -r -F
complete -c wsprobe -l tls-key -d 'With -l, the private key of --tls-cert: PEM (PKCS#8, PKCS#1 or SEC1), not encrypted' -r -F
complete -c wsprobe -s H -l header -d 'Add a request header, \'Name: value\' (repeatable)' -r
complete -c wsprobe -l origin -d 'Send an Origin header' -r
complete -c wsprobe -s s -l subprotocol -d 'Offer a subprotocol in Sec-WebSocket-Protocol (repeatable, in order of preference)' -r
complete -c wsprobe -s u -l user -d 'Basic authentication, USER:PASS (user:pass@ in the URL works too)' -r
complete -c wsprobe -s A -l user-agent -d 'The User-Agent header (default: wsprobe/VERSION; empty to send none)' -r
complete -c wsprobe -l cacert -d 'Trust the certificates in this PEM file, in addition to the built-in roots' -r -F
complete -c wsprobe -l cert -d 'Client certificate for mutual TLS: a PEM file, leaf first, then any intermediates (the private key may follow in the same file)' -r -F
complete -c wsprobe -l key -d 'The private key of --cert: PEM, PKCS#8 (\'PRIVATE KEY\'), PKCS#1 (\'RSA PRIVATE KEY\') or SEC1 (\'EC PRIVATE KEY\'), not encrypted' -r -F
complete -c wsprobe -l tls-min -d 'The lowest TLS version to accept (default 1.2)' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c wsprobe -l tls-max -d 'The highest TLS version to offer (default 1.3)' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c wsprobe -l sni -d 'Send NAME as the TLS server name (SNI), and check the certificate against NAME instead of the URL\'s host' -r
complete -c wsprobe -s x -l proxy -d 'Connect through this proxy: an http://, https://, socks5:// or socks5h:// URL, with USER:PASS@ before the host if it wants them' -r
complete -c wsprobe -l proxy-user -d 'Credentials for the proxy, USER:PASS (Basic for http(s)://, username/password for SOCKS5). Overrides user:pass@ in the proxy URL' -r
complete -c wsprobe -l noproxy -d 'Hosts to reach without a proxy, comma-separated (\'*\' for all). Overrides the no_proxy variable' -r
complete -c wsprobe -l unix-socket -d 'Connect to this unix domain socket instead of the URL\'s host; the URL still gives the Host header, the path and ws:// or wss://' -r -F
complete -c wsprobe -l abstract-unix-socket -d 'Like --unix-socket, for a socket in Linux\'s abstract namespace (NAME without the leading NUL byte)' -r
complete -c wsprobe -l resolve -d 'Use ADDR for HOST:PORT instead of asking the resolver (repeatable; ADDR may be a comma-separated list; HOST may be \'*\')' -r
complete -c wsprobe -l connect-to -d 'Connect to HOST2:PORT2 whenever HOST:PORT is asked for (repeatable; an empty field matches anything, or keeps the original)' -r
complete -c wsprobe -l max-redirs -d 'With -L, the most redirects to follow' -r
complete -c wsprobe -l connect-timeout -d 'Give up connecting after SECS seconds: name resolution, TCP, the proxy and TLS together' -r
complete -c wsprobe -l handshake-timeout -d 'Give up waiting for the handshake response after SECS seconds' -r
complete -c wsprobe -s d -l data -d 'Send MSG first, before standard input (repeatable). @FILE sends the contents of FILE as one message' -r
complete -c wsprobe -s c -l count -d 'Exit after N messages have been received' -r
complete -c wsprobe -s w -l wait -d 'After input ends, close once no message has arrived for SECS seconds [default: 1; with --count, wait for the count]' -r
complete -c wsprobe -l max-time -d 'Close the session after SECS seconds in all (exit status 10)' -r
complete -c wsprobe -l close-code -d 'The code of the Close frame wsprobe sends' -r
complete -c wsprobe -l close-reason -d 'The reason text of the Close frame wsprobe sends (at most 123 bytes)' -r
complete -c wsprobe -l close-timeout -d 'How long to wait for the server\'s Close after sending ours' -r
complete -c wsprobe -l max-message-size -d 'The largest message accepted from the server, in bytes (after decompression); a larger one fails the session with close code 1009' -r
complete -c wsprobe -l max-frame-size -d 'The largest frame accepted from the server, in bytes as sent (default: the --max-message-size limit)' -r
complete -c wsprobe -l expect -d 'Wait until a received message matches the regular expression PATTERN (repeatable: met in order, with --expect-json)' -r
complete -c wsprobe -l expect-json -d 'Wait until a received JSON message passes TEST, a jq path alone (it must be neither null nor false) or compared with == or != to a JSON value, or with <, <=, > or >= to a number: \'.type == "welcome"\', \'.data.id != 0\', \'.version >= 2\', \'.ok\' (see the man page, SCRIPTS). Repeatable; met in order with --expect' -r
complete -c wsprobe -l expect-timeout -d 'How long each --expect or --expect-json waits, from the moment the one before it was met (or the connection opened)' -r
complete -c wsprobe -l write-out -d 'At the end, whatever the outcome, write FORMAT with its %{variables} filled in, as curl\'s --write-out does: to stdout after the messages' -r
complete -c wsprobe -l retry -d 'After a drop or a failed connection, connect again, up to N times (or \'forever\'), replaying the -d messages on each new connection' -r
complete -c wsprobe -l retry-delay -d 'The wait before the first retry; it doubles after each' -r
complete -c wsprobe -l retry-max-time -d 'Start no retry once SECS have passed since the first attempt' -r
complete -c wsprobe -l exec -d 'Run COMMAND (with sh -c) on the connection: each line it writes (or record, with -0, --whole, -b) is sent as a message, and each message received is written to its stdin, followed by a newline (NUL with -0, nothing with --whole). Its stderr is wsprobe\'s' -r
complete -c wsprobe -l ping-interval -d 'Send a ping every SECS seconds, to keep the connection alive and to notice a dead peer [REPL default: 20, with --ping-timeout 20]' -r
complete -c wsprobe -l ping-timeout -d 'Fail (exit status 10) when a keepalive ping has no pong after SECS seconds (default: the ping interval); with -l, that client is disconnected' -r
complete -c wsprobe -l idle -d 'With --check, also measure how long a silent connection lives (up to SECS) and who ends it: a Close with a code, or a drop (often a proxy\'s idle timeout)' -r
complete -c wsprobe -l har -d 'Write the session to FILE as HAR 1.2: the upgrade request and response, timings, and every message in _webSocketMessages (as browsers export them)' -r -F
complete -c wsprobe -l color -d 'When to use colour on stderr' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c wsprobe -l generate -d 'Write shell completions or the man page to stdout' -r -f -a "bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'
powershell\t'PowerShell completions'
elvish\t'elvish completions'
man\t'The man page (roff)'"
complete -c wsprobe -l once -d 'With -l, serve one client, then exit with that session\'s status (the exit table below); -c, -w and --max-time end it as they end a client session. Other clients are answered 503 meanwhile'
complete -c wsprobe -l compress -d 'Offer permessage-deflate compression (RFC 7692), as browsers do: on by default'
complete -c wsprobe -l no-compress -d 'Offer no compression (no Sec-WebSocket-Extensions header): frames on the wire then carry the messages as they are'
complete -c wsprobe -s k -l insecure -d 'Do not verify the server\'s certificate chain or name'
complete -c wsprobe -l no-sni -d 'Send no TLS server name (SNI); the certificate is still checked against the URL\'s host'
complete -c wsprobe -s 4 -l ipv4 -d 'Use IPv4 addresses only'
complete -c wsprobe -s 6 -l ipv6 -d 'Use IPv6 addresses only'
complete -c wsprobe -s L -l location -d 'Follow redirects (301, 302, 303, 307, 308) of the upgrade request'
complete -c wsprobe -s n -l no-input -d 'Do not read standard input: send only the --data messages'
complete -c wsprobe -s b -l binary -d 'Send binary messages instead of text, and write received binary messages to stdout byte for byte'
complete -c wsprobe -s 0 -l null -d 'Standard input holds NUL-separated records, not lines'
complete -c wsprobe -l whole -d 'Send all of standard input as one message'
complete -c wsprobe -l echo -d 'Send every message received back to the server, with the same type (text as text, binary as binary)'
complete -c wsprobe -s i -l interactive -d 'Use the interactive REPL even when standard output is not a terminal'
complete -c wsprobe -l no-repl -d 'Never start the REPL: on a terminal too, send each line as typed'
complete -c wsprobe -l no-history -d 'Do not read or write the REPL history file'
complete -c wsprobe -l check -d 'Check the server at URL instead of opening a session: run a battery of probes, some of which send deliberately invalid frames, and print a report (exit status 13 when a probe failed)'
complete -c wsprobe -s v -l verbose -d 'Show the connection and handshake (-v); repeat for more'
complete -c wsprobe -l pretty -d 'Indent JSON text messages (received, and sent by REPL commands)'
complete -c wsprobe -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c wsprobe -l json -d 'Write every event as one JSON object per line on stdout (NDJSON), instead of bare message payloads'
complete -c wsprobe -l show-secrets -d 'Show Authorization, Proxy-Authorization, Cookie and Set-Cookie values in traces, --json and --har (they are redacted by default)'
complete -c wsprobe -l timestamps -d 'Start each trace line (and each REPL line) with the seconds since wsprobe started'
complete -c wsprobe -l deterministic -d 'Testing only: fixed keys and masks, for byte-exact output'
complete -c wsprobe -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsprobe -s V -l version -d 'Print version'
