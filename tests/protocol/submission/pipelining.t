# RFC 2920 PIPELINING: the §4 examples, sent in one packet each; replies
# come in order, once the server has no further command to read (§3.2).
# The second example: every recipient refused, DATA gets 554 "no valid
# recipients", and the lines the client sent after DATA are read as
# commands (here, QUIT). Relaying is off (relay.mx = false, no smarthost),
# so the other domain's recipient is refused as in the RFC's example.
!protocol submission
!option relay.mx=false
!user mrose pw
!user ned pw2
!user dan pw3
S: 220 localhost ESMTP Lemonade
!raw 1 b"EHLO dbc.mtview.ca.us\r\nAUTH PLAIN AG1yb3NlAHB3\r\n"
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250 DSN
S: 235 2.7.0 Authentication successful
!raw 1 b"MAIL FROM:<mrose@localhost>\r\nRCPT TO:<ned@localhost>\r\nRCPT TO:<dan@localhost>\r\nRCPT TO:<kvc@localhost>\r\nDATA\r\n"
S: 250 2.1.0 Sender <mrose@localhost> OK
S: 250 2.1.5 Recipient <ned@localhost> OK
S: 250 2.1.5 Recipient <dan@localhost> OK
S: 550 5.1.1 No such user here: <kvc@localhost>
S: 354 Start mail input; end with <CRLF>.<CRLF>
!raw 1 b"Subject: pipelined\r\n\r\nbody\r\n.\r\nMAIL FROM:<mrose@localhost>\r\nRCPT TO:<nsb@thumper.bellcore.com>\r\nRCPT TO:<galvin@tis.com>\r\nDATA\r\nQUIT\r\n"
S: 250 2.0.0 Message queued as ${id}
S: 250 2.1.0 Sender <mrose@localhost> OK
S: 550 5.7.1 Relaying to <nsb@thumper.bellcore.com> is not available on this server
S: 550 5.7.1 Relaying to <galvin@tis.com> is not available on this server
S: 554 5.5.1 No valid recipients
S: 221 2.0.0 localhost Bye
!closed 1
