# RFC 5321 / RFC 6409 submission basics, with RFC 2034 enhanced codes on
# every 2xx/4xx/5xx reply except the greeting and the EHLO/HELO replies,
# never on 3xx (RFC 2034 §4). RFC 6409 §4.3: MAIL before AUTH is 530.
# RFC 5321 §3.3: RCPT without MAIL is 503; §4.1.1.5 RSET; §3.5.3 VRFY 252;
# §4.1.1.11 an unknown parameter is 555; RFC 1870 §6 SIZE over the limit is
# 552. The message is delivered to bob's INBOX with a Received: field and
# the Date: and Message-ID: it lacked (RFC 6409 §8.2, §8.3). With relaying
# off (relay.mx = false, no smarthost), another domain is 550 5.7.1.
!protocol submission
!user alice pw1
!user bob pw2
!option submission.max_message_size=1000
!option relay.mx=false
S: 220 localhost ESMTP Lemonade
C: MAIL FROM:<alice@localhost>
S: 503 5.5.1 Say EHLO first
C: NOOP
S: 250 2.0.0 OK
C: EHLO client.example
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 1000
S: 250-ENHANCEDSTATUSCODES
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250 DSN
C: MAIL FROM:<alice@localhost>
S: 530 5.7.0 Authentication required
C: RCPT TO:<bob@localhost>
S: 503 5.5.1 Need MAIL before RCPT
C: XYZZY
S: 500 5.5.1 Command unrecognized
C: VRFY bob
S: 252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
# AUTH PLAIN with the initial response (alice / pw1).
C: AUTH PLAIN AGFsaWNlAHB3MQ==
S: 235 2.7.0 Authentication successful
C: AUTH PLAIN AGFsaWNlAHB3MQ==
S: 503 5.5.1 Already authenticated
C: MAIL FROM:<bob@localhost>
S: 550 5.7.1 Sender address <bob@localhost> is not yours (alice)
C: MAIL FROM:<alice@localhost> SIZE=1001
S: 552 5.3.4 Message size exceeds the fixed limit of 1000 octets
C: MAIL FROM:<alice@localhost> XFOO=1
S: 555 5.5.4 Unsupported parameter XFOO
C: MAIL FROM:<alice+lists@localhost> SIZE=100 BODY=8BITMIME
S: 250 2.1.0 Sender <alice+lists@localhost> OK
C: MAIL FROM:<alice@localhost>
S: 503 5.5.1 Nested MAIL command
C: RCPT TO:<nobody@localhost>
S: 550 5.1.1 No such user here: <nobody@localhost>
C: RCPT TO:<someone@example.net>
S: 550 5.7.1 Relaying to <someone@example.net> is not available on this server
C: DATA
S: 554 5.5.1 No valid recipients
C: RCPT TO:<Bob@LOCALHOST>
S: 250 2.1.5 Recipient <Bob@LOCALHOST> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: From: alice@localhost
C: Subject: test
C: 
C: ..a line with a leading dot
C: .
S: 250 2.0.0 Message queued as ${id}
C: RSET
S: 250 2.0.0 OK
# A message over the limit is read to its end, then refused.
C: MAIL FROM:<alice@localhost>
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
!raw 1 b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n.\r\n"
S: 552 5.3.4 Message size exceeds the fixed limit of 1000 octets
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
# Bob finds it, dot-stuffing undone, with the fields the MSA added.
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN bob pw2
S2: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# The queue delivers in the background: wait until it has.
!poll 2 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 1)
C2: a2 EXAMINE INBOX
S2: * 1 EXISTS
S2: * 1 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 2] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S2: a2 OK [READ-ONLY] EXAMINE completed
C2: a3 FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[TEXT])
S2: * 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {40}From: alice@localhost\r\nSubject: test\r\n\r\n BODY[TEXT] {28}.a line with a leading dot\r\n)
S2: a3 OK FETCH completed
C2: a4 SEARCH HEADER Received "by localhost (Lemonade) with ESMTPA" HEADER Message-ID "@localhost>" HEADER Date "+0000"
S2: * SEARCH 1
S2: a4 OK SEARCH completed
