# Bad input gets a clear reply and the session (and the server) go on
# (DESIGN.md §5, issue 14): a 10 MB command line (500 5.5.6, RFC 5321
# §4.5.3.1.4), a NUL in a command, a BDAT whose size is shorter than what
# follows (the rest is read as commands), bare LF in DATA (RFC 5321 §2.3.8),
# too many recipients (452 4.5.3), commands injected after STARTTLS in the
# same packet (dropped, RFC 3207 §4.2), guessed passwords (535 5.7.8, then
# the address is locked out: 454 4.7.0), and a connection that dies in the
# middle of a BDAT chunk.
!protocol submission
!user alice pw1
!user bob pw2
!option submission.max_recipients=2
!option auth.max_failures=2
!option auth.failure_delay="1ms"
S: 220 localhost ESMTP Lemonade
!raw 1 b"x" * 10000000 + b"\r\n"
S: 500 5.5.6 Line too long
!raw 1 b"NOOP\x00\r\n"
S: 501 5.5.2 Bare CR or NUL in a command
# STARTTLS with a command behind it in the same packet: the NOOP is dropped.
!raw 1 b"STARTTLS\r\nNOOP\r\n"
S: 220 2.0.0 Ready to start TLS
!starttls 1
C: EHLO client.example
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250 DSN
C: AUTH PLAIN AGFsaWNlAHB3MQ==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<alice@localhost>
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
C: RCPT TO:<alice@localhost>
S: 250 2.1.5 Recipient <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 452 4.5.3 Too many recipients
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
!raw 1 b"Subject: smuggle\r\n\r\nfirst\n.\nMAIL FROM:<x@y>\r\n.\r\n"
S: 554 5.6.0 Message contains a bare CR or LF; lines must end with CRLF
# A BDAT size shorter than the data: the rest is read as a command line.
C: MAIL FROM:<alice@localhost>
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
!raw 1 b"BDAT 3\r\nabcdefg\r\n"
S: 250 2.0.0 3 octets received
S: 500 5.5.1 Command unrecognized
C: RSET
S: 250 2.0.0 OK
# Guessing passwords from another connection: 535, then locked out.
!connect 2
S2: 220 localhost ESMTP Lemonade
C2: EHLO client.example
S2: 250-localhost Lemonade at your service
S2: 250-PIPELINING
S2: 250-SIZE 52428800
S2: 250-ENHANCEDSTATUSCODES
S2: 250-STARTTLS
S2: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S2: 250-8BITMIME
S2: 250-BINARYMIME
S2: 250-CHUNKING
S2: 250-SMTPUTF8
S2: 250 DSN
C2: AUTH PLAIN AGJvYgB3cm9uZw==
S2: 535 5.7.8 Authentication credentials invalid
C2: AUTH PLAIN AGJvYgB3cm9uZw==
S2: 535 5.7.8 Authentication credentials invalid
C2: AUTH PLAIN AGJvYgBwdzI=
S2: 454 4.7.0 Too many failed logins from your address; try again later
# A connection that dies in the middle of a BDAT chunk: nothing is
# queued, the other connection goes on.
C: MAIL FROM:<alice@localhost>
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
!raw 1 b"BDAT 100 LAST\r\nonly ten.."
!close 1
C2: NOOP
S2: 250 2.0.0 OK
C2: QUIT
S2: 221 2.0.0 localhost Bye
!closed 2
