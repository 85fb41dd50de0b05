
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wsprobe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wsprobe'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wsprobe' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Be the server: listen on [ADDR:]PORT for WebSocket clients, show what they send and diagnose what they do wrong.')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Be the server: listen on [ADDR:]PORT for WebSocket clients, show what they send and diagnose what they do wrong.')
            [CompletionResult]::new('--max-clients', '--max-clients', [CompletionResultType]::ParameterName, 'With -l, the most clients connected at once; one more is answered 503 Service Unavailable')
            [CompletionResult]::new('--accept-subprotocol', '--accept-subprotocol', [CompletionResultType]::ParameterName, 'With -l, accept this subprotocol (repeatable): the first one the client offers that is accepted is chosen. Without it none is chosen (-v shows what was offered)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'With -l, serve wss://: the certificate chain, PEM, leaf first (with --tls-key)')
            [CompletionResult]::new('--static', '--static', [CompletionResultType]::ParameterName, 'With -l, answer plain GET requests with the files in DIR (index.html for a directory), so that a page and its WebSocket share one origin')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'With -l, the private key of --tls-cert: PEM (PKCS#8, PKCS#1 or SEC1), not encrypted')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header, ''Name: value'' (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header, ''Name: value'' (repeatable)')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Send an Origin header')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Offer a subprotocol in Sec-WebSocket-Protocol (repeatable, in order of preference)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Offer a subprotocol in Sec-WebSocket-Protocol (repeatable, in order of preference)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Basic authentication, USER:PASS (user:pass@ in the URL works too)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Basic authentication, USER:PASS (user:pass@ in the URL works too)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'The User-Agent header (default: wsprobe/VERSION; empty to send none)')
            [CompletionResult]::new('--user-agent', '--user-agent', [CompletionResultType]::ParameterName, 'The User-Agent header (default: wsprobe/VERSION; empty to send none)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust the certificates in this PEM file, in addition to the built-in roots')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate for mutual TLS: a PEM file, leaf first, then any intermediates (the private key may follow in the same file)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The private key of --cert: PEM, PKCS#8 (''PRIVATE KEY''), PKCS#1 (''RSA PRIVATE KEY'') or SEC1 (''EC PRIVATE KEY''), not encrypted')
            [CompletionResult]::new('--tls-min', '--tls-min', [CompletionResultType]::ParameterName, 'The lowest TLS version to accept (default 1.2)')
            [CompletionResult]::new('--tls-max', '--tls-max', [CompletionResultType]::ParameterName, 'The highest TLS version to offer (default 1.3)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Send NAME as the TLS server name (SNI), and check the certificate against NAME instead of the URL''s host')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Connect through this proxy: an http://, https://, socks5:// or socks5h:// URL, with USER:PASS@ before the host if it wants them')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Connect through this proxy: an http://, https://, socks5:// or socks5h:// URL, with USER:PASS@ before the host if it wants them')
            [CompletionResult]::new('--proxy-user', '--proxy-user', [CompletionResultType]::ParameterName, 'Credentials for the proxy, USER:PASS (Basic for http(s)://, username/password for SOCKS5). Overrides user:pass@ in the proxy URL')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts to reach without a proxy, comma-separated (''*'' for all). Overrides the no_proxy variable')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Connect to this unix domain socket instead of the URL''s host; the URL still gives the Host header, the path and ws:// or wss://')
            [CompletionResult]::new('--abstract-unix-socket', '--abstract-unix-socket', [CompletionResultType]::ParameterName, 'Like --unix-socket, for a socket in Linux''s abstract namespace (NAME without the leading NUL byte)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Use ADDR for HOST:PORT instead of asking the resolver (repeatable; ADDR may be a comma-separated list; HOST may be ''*'')')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 whenever HOST:PORT is asked for (repeatable; an empty field matches anything, or keeps the original)')
            [CompletionResult]::new('--max-redirs', '--max-redirs', [CompletionResultType]::ParameterName, 'With -L, the most redirects to follow')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after SECS seconds: name resolution, TCP, the proxy and TLS together')
            [CompletionResult]::new('--handshake-timeout', '--handshake-timeout', [CompletionResultType]::ParameterName, 'Give up waiting for the handshake response after SECS seconds')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Send MSG first, before standard input (repeatable). @FILE sends the contents of FILE as one message')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Send MSG first, before standard input (repeatable). @FILE sends the contents of FILE as one message')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Exit after N messages have been received')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after N messages have been received')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After input ends, close once no message has arrived for SECS seconds [default: 1; with --count, wait for the count]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'After input ends, close once no message has arrived for SECS seconds [default: 1; with --count, wait for the count]')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Close the session after SECS seconds in all (exit status 10)')
            [CompletionResult]::new('--close-code', '--close-code', [CompletionResultType]::ParameterName, 'The code of the Close frame wsprobe sends')
            [CompletionResult]::new('--close-reason', '--close-reason', [CompletionResultType]::ParameterName, 'The reason text of the Close frame wsprobe sends (at most 123 bytes)')
            [CompletionResult]::new('--close-timeout', '--close-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the server''s Close after sending ours')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'The largest message accepted from the server, in bytes (after decompression); a larger one fails the session with close code 1009')
            [CompletionResult]::new('--max-frame-size', '--max-frame-size', [CompletionResultType]::ParameterName, 'The largest frame accepted from the server, in bytes as sent (default: the --max-message-size limit)')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Wait until a received message matches the regular expression PATTERN (repeatable: met in order, with --expect-json)')
            [CompletionResult]::new('--expect-json', '--expect-json', [CompletionResultType]::ParameterName, 'Wait until a received JSON message passes TEST, a jq path alone (it must be neither null nor false) or compared with == or != to a JSON value, or with <, <=, > or >= to a number: ''.type == "welcome"'', ''.data.id != 0'', ''.version >= 2'', ''.ok'' (see the man page, SCRIPTS). Repeatable; met in order with --expect')
            [CompletionResult]::new('--expect-timeout', '--expect-timeout', [CompletionResultType]::ParameterName, 'How long each --expect or --expect-json waits, from the moment the one before it was met (or the connection opened)')
            [CompletionResult]::new('--write-out', '--write-out', [CompletionResultType]::ParameterName, 'At the end, whatever the outcome, write FORMAT with its %{variables} filled in, as curl''s --write-out does: to stdout after the messages')
            [CompletionResult]::new('--retry', '--retry', [CompletionResultType]::ParameterName, 'After a drop or a failed connection, connect again, up to N times (or ''forever''), replaying the -d messages on each new connection')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'The wait before the first retry; it doubles after each')
            [CompletionResult]::new('--retry-max-time', '--retry-max-time', [CompletionResultType]::ParameterName, 'Start no retry once SECS have passed since the first attempt')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run COMMAND (with sh -c) on the connection: each line it writes (or record, with -0, --whole, -b) is sent as a message, and each message received is written to its stdin, followed by a newline (NUL with -0, nothing with --whole). Its stderr is wsprobe''s')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Send a ping every SECS seconds, to keep the connection alive and to notice a dead peer [REPL default: 20, with --ping-timeout 20]')
            [CompletionResult]::new('--ping-timeout', '--ping-timeout', [CompletionResultType]::ParameterName, 'Fail (exit status 10) when a keepalive ping has no pong after SECS seconds (default: the ping interval); with -l, that client is disconnected')
            [CompletionResult]::new('--idle', '--idle', [CompletionResultType]::ParameterName, 'With --check, also measure how long a silent connection lives (up to SECS) and who ends it: a Close with a code, or a drop (often a proxy''s idle timeout)')
            [CompletionResult]::new('--har', '--har', [CompletionResultType]::ParameterName, 'Write the session to FILE as HAR 1.2: the upgrade request and response, timings, and every message in _webSocketMessages (as browsers export them)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Write shell completions or the man page to stdout')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'With -l, serve one client, then exit with that session''s status (the exit table below); -c, -w and --max-time end it as they end a client session. Other clients are answered 503 meanwhile')
            [CompletionResult]::new('--compress', '--compress', [CompletionResultType]::ParameterName, 'Offer permessage-deflate compression (RFC 7692), as browsers do: on by default')
            [CompletionResult]::new('--no-compress', '--no-compress', [CompletionResultType]::ParameterName, 'Offer no compression (no Sec-WebSocket-Extensions header): frames on the wire then carry the messages as they are')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate chain or name')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate chain or name')
            [CompletionResult]::new('--no-sni', '--no-sni', [CompletionResultType]::ParameterName, 'Send no TLS server name (SNI); the certificate is still checked against the URL''s host')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow redirects (301, 302, 303, 307, 308) of the upgrade request')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Follow redirects (301, 302, 303, 307, 308) of the upgrade request')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Do not read standard input: send only the --data messages')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Do not read standard input: send only the --data messages')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send binary messages instead of text, and write received binary messages to stdout byte for byte')
            [CompletionResult]::new('--binary', '--binary', [CompletionResultType]::ParameterName, 'Send binary messages instead of text, and write received binary messages to stdout byte for byte')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'Standard input holds NUL-separated records, not lines')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'Standard input holds NUL-separated records, not lines')
            [CompletionResult]::new('--whole', '--whole', [CompletionResultType]::ParameterName, 'Send all of standard input as one message')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send every message received back to the server, with the same type (text as text, binary as binary)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Use the interactive REPL even when standard output is not a terminal')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Use the interactive REPL even when standard output is not a terminal')
            [CompletionResult]::new('--no-repl', '--no-repl', [CompletionResultType]::ParameterName, 'Never start the REPL: on a terminal too, send each line as typed')
            [CompletionResult]::new('--no-history', '--no-history', [CompletionResultType]::ParameterName, 'Do not read or write the REPL history file')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Check the server at URL instead of opening a session: run a battery of probes, some of which send deliberately invalid frames, and print a report (exit status 13 when a probe failed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the connection and handshake (-v); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the connection and handshake (-v); repeat for more')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Indent JSON text messages (received, and sent by REPL commands)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write every event as one JSON object per line on stdout (NDJSON), instead of bare message payloads')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show Authorization, Proxy-Authorization, Cookie and Set-Cookie values in traces, --json and --har (they are redacted by default)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Start each trace line (and each REPL line) with the seconds since wsprobe started')
            [CompletionResult]::new('--deterministic', '--deterministic', [CompletionResultType]::ParameterName, 'Testing only: fixed keys and masks, for byte-exact output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
