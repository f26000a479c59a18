# A list alias over LMTP (RFC 2033 §4.2: one reply per recipient, in RCPT
# order): the list's copies go through the queue, which delivers each
# member on its own (and retries or reports for each), so the list's
# reply says where it was queued; a recipient that is an account in the
# same transaction is delivered at once, as always, and a member named
# directly too (pat) gets that one copy, not a second from the list.
!protocol lmtp
!user pat pw1
!user green pw2
!user lee pw3
!option server.domains=["foo.edu"]
!option server.aliases={team=["pat", "green"]}
S: 220 localhost LMTP Lemonade
C: LHLO foo.edu
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250 SMTPUTF8
C: MAIL FROM:<boss@elsewhere.example>
S: 250 2.1.0 Sender <boss@elsewhere.example> OK
C: RCPT TO:<team@foo.edu>
S: 250 2.1.5 Recipient <team@foo.edu> OK
C: RCPT TO:<lee@foo.edu>
S: 250 2.1.5 Recipient <lee@foo.edu> OK
C: RCPT TO:<Pat@foo.edu>
S: 250 2.1.5 Recipient <Pat@foo.edu> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: all hands
C: 
C: meeting at ten
C: .
S: 250 2.1.5 <team@foo.edu> queued for its 2 addresses as ${q}
S: 250 2.1.5 <lee@foo.edu> delivered
S: 250 2.1.5 <Pat@foo.edu> delivered
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN green pw2
S2: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!poll 2 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 1)
C2: a2 LOGOUT
S2: * BYE Lemonade logging out
S2: a2 OK LOGOUT completed
!closed 2
!connect 3 plain imap
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: a1 LOGIN pat pw1
S3: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
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
C3: a3 FETCH 1 BODY.PEEK[HEADER.FIELDS (RETURN-PATH SUBJECT)]
S3: * 1 FETCH (BODY[HEADER.FIELDS (RETURN-PATH SUBJECT)] {61}Return-Path: <boss@elsewhere.example>\r\nSubject: all hands\r\n\r\n)
S3: a3 OK FETCH completed
C3: a4 LOGOUT
S3: * BYE Lemonade logging out
S3: a4 OK LOGOUT completed
!closed 3
!connect 4 plain imap
S4: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C4: a1 LOGIN lee pw3
S4: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C4: a2 STATUS INBOX (MESSAGES)
S4: * STATUS INBOX (MESSAGES 1)
S4: a2 OK STATUS completed
C4: a3 LOGOUT
S4: * BYE Lemonade logging out
S4: a3 OK LOGOUT completed
!closed 4
