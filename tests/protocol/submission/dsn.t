# RFC 3461 DSN on submission: the parameters of its §4 (RET, ENVID on
# MAIL; NOTIFY, ORCPT on RCPT) are taken; a recipient with NOTIFY=SUCCESS
# brings the sender a multipart/report (RFC 3464, RFC 6522) with Action:
# delivered, the ENVID and the ORCPT, and (RET=HDRS) only the header of
# the message. Malformed values are 501 5.5.4 (§4: duplicates, NEVER with
# others).
!protocol submission
!user alice pw1
!user bob pw2
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
C: MAIL FROM:<alice@localhost> RET=HDRS ENVID=QQ314159 RET=FULL
S: 501 5.5.4 Duplicate parameter RET
C: MAIL FROM:<alice@localhost> RET=HDRS ENVID=QQ314159
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost> NOTIFY=NEVER,SUCCESS
S: 501 5.5.4 NOTIFY=NEVER stands alone
C: RCPT TO:<bob@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2Bbox@localhost
S: 250 2.1.5 Recipient <bob@localhost> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: please confirm
C: Message-ID: <dsn-test@localhost>
C: 
C: secret body text
C: .
S: 250 2.0.0 Message queued as ${id}
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN alice pw1
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
C2: a3 FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT AUTO-SUBMITTED)] BODY.PEEK[2.MIME] BODY.PEEK[3.MIME])
S2: * 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT AUTO-SUBMITTED)] {128}From: Mail Delivery System <MAILER-DAEMON@localhost>\r\nSubject: Successful Mail Delivery Report\r\nAuto-Submitted: auto-replied\r\n\r\n BODY[2.MIME] {41}Content-Type: message/delivery-status\r\n\r\n BODY[3.MIME] {37}Content-Type: text/rfc822-headers\r\n\r\n)
S2: a3 OK FETCH completed
C2: a4 FETCH 1 BODY.PEEK[2]
S2: * 1 FETCH (BODY[2] {${n2}}Reporting-MTA: dns; localhost\r\nOriginal-Envelope-Id: QQ314159\r\nArrival-Date: ${a1} ${a2} ${a3} ${a4} ${a5} ${a6}\r\n\r\nOriginal-Recipient: rfc822;bob+box@localhost\r\nFinal-Recipient: rfc822; bob@localhost\r\nAction: delivered\r\nStatus: 2.0.0\r\nDiagnostic-Code: smtp; 250 2.0.0 delivered as UID 1\r\nLast-Attempt-Date: ${l1} ${l2} ${l3} ${l4} ${l5} ${l6}\r\n)
S2: a4 OK FETCH completed
C2: a6 SEARCH BODY "Message-ID: <dsn-test@localhost>"
S2: * SEARCH 1
S2: a6 OK SEARCH completed
C2: a5 SEARCH BODY "secret body text"
S2: * SEARCH
S2: a5 OK SEARCH completed
