# A list alias (server.aliases with several targets) on submission: RCPT
# accepts it, each member that is an account gets its own copy through
# the queue, and RFC 3461 §5.2.7.3 (c) applies: "Any ENVID, RET, or ORCPT
# parameters are propagated to all forwarding addresses associated with
# that alias. The NOTIFY parameter is propagated to the forwarding
# addresses, except that any SUCCESS keyword is removed. If the original
# NOTIFY parameter for the alias contained the SUCCESS keyword, an
# "expanded" DSN is issued for the alias." So alice gets one report,
# Action: expanded (RFC 3464 §2.3.3), and none for bob or carol. A list is
# no one's sender address (RFC 6409 §6.1), and a list whose targets are
# all gone is an unknown recipient.
!protocol submission
!user alice pw1
!user bob pw2
!user carol pw3
!option server.aliases={team=["bob", "carol@localhost", "nobody"], gone=["nobody", "nemo"]}
S: 220 localhost ESMTP Lemonade
C: EHLO client.example
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
C: AUTH PLAIN AGJvYgBwdzI=
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<team@localhost>
S: 550 5.7.1 Sender address <team@localhost> is not yours (bob)
C: RSET
S: 250 2.0.0 OK
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
!connect 1 plain submission
S: 220 localhost ESMTP Lemonade
C: EHLO client.example
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
C: AUTH PLAIN AGFsaWNlAHB3MQ==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<alice@localhost> ENVID=L1
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<gone@localhost>
S: 550 5.1.1 No such user here: <gone@localhost>
C: RCPT TO:<Team@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;team@example.org
S: 250 2.1.5 Recipient <Team@localhost> OK
# bob, named after the list too, gets one copy (the queue delivers in
# order, so a second would be in before carol's: bob's EXAMINE says 1).
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: to the team
C: Message-ID: <list-test@localhost>
C: 
C: hello all
C: .
S: 250 2.0.0 Message queued as ${id}
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN carol pw3
S2: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!poll 2 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 1)
C2: a2 LOGOUT
S2: * BYE Lemonade logging out
S2: a2 OK LOGOUT completed
!closed 2
!connect 3 plain imap
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: a1 LOGIN bob pw2
S3: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!poll 3 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 1)
C3: a2 EXAMINE INBOX
S3: * 1 EXISTS
S3: * 1 RECENT
S3: * OK [UNSEEN 1] Message 1 is first unseen
S3: * OK [UIDVALIDITY ${uv}] UIDs valid
S3: * OK [UIDNEXT 2] Predicted next UID
S3: * OK [HIGHESTMODSEQ ${hms}] Highest
S3: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S3: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S3: a2 OK [READ-ONLY] EXAMINE completed
C3: a3 FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)]
S3: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {59}Subject: to the team\r\nMessage-ID: <list-test@localhost>\r\n\r\n)
S3: a3 OK FETCH completed
C3: a4 LOGOUT
S3: * BYE Lemonade logging out
S3: a4 OK LOGOUT completed
!closed 3
!connect 4 plain imap
S4: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C4: a1 LOGIN alice pw1
S4: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!poll 4 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 1)
C4: a2 EXAMINE INBOX
S4: * 1 EXISTS
S4: * 1 RECENT
S4: * OK [UNSEEN 1] Message 1 is first unseen
S4: * OK [UIDVALIDITY ${uv4}] UIDs valid
S4: * OK [UIDNEXT 2] Predicted next UID
S4: * OK [HIGHESTMODSEQ ${hms4}] Highest
S4: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S4: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S4: a2 OK [READ-ONLY] EXAMINE completed
C4: a3 FETCH 1 BODY.PEEK[2]
S4: * 1 FETCH (BODY[2] {${n2}}Reporting-MTA: dns; localhost\r\nOriginal-Envelope-Id: L1\r\nArrival-Date: ${a1} ${a2} ${a3} ${a4} ${a5} ${a6}\r\n\r\nOriginal-Recipient: rfc822;team@example.org\r\nFinal-Recipient: rfc822; Team@localhost\r\nAction: expanded\r\nStatus: 2.0.0\r\nDiagnostic-Code: smtp; 250 2.0.0 expanded: the list's members are delivered on their own\r\nLast-Attempt-Date: ${l1} ${l2} ${l3} ${l4} ${l5} ${l6}\r\n)
S4: a3 OK FETCH completed
C4: a4 LOGOUT
S4: * BYE Lemonade logging out
S4: a4 OK LOGOUT completed
!closed 4
