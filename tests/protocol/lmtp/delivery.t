# RFC 2033 LMTP: the §4.2 example with this server's replies (jones does
# not exist: 550 at RCPT; after DATA one reply per accepted recipient, in
# RCPT order, each once its copy is stored). HELO/EHLO are refused (§4.1),
# no AUTH is needed, BDAT LAST also answers per recipient, and a
# delivered message reaches an IDLE-ing IMAP session at once, with
# Return-Path: and Received: in front (RFC 5321 §4.4). (The example's
# "...etc." line reaches the store as "..etc.": a leading dot is
# transparency, RFC 5321 §4.5.2, and the RFC's example does not stuff it.)
!protocol lmtp
!user pat pw1
!user green pw2
!option server.domains=["foo.edu"]
!option server.aliases={postmaster="pat", "sales@bar.com"="green"}
S: 220 localhost LMTP Lemonade
C: EHLO foo.edu
S: 500 5.5.1 This is LMTP: use LHLO
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN green pw2
S2: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: a2 SELECT INBOX
S2: * 0 EXISTS
S2: * 0 RECENT
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 1] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: a2 OK [READ-WRITE] SELECT completed
C2: a3 IDLE
S2: + idling
C: LHLO foo.edu
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250 SMTPUTF8
C: MAIL FROM:<chris@bar.com>
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 250 2.1.5 Recipient <pat@foo.edu> OK
C: RCPT TO:<jones@foo.edu>
S: 550 5.1.1 No such user here: <jones@foo.edu>
C: RCPT TO:<green@foo.edu>
S: 250 2.1.5 Recipient <green@foo.edu> OK
C: RCPT TO:<someone@bar.com>
S: 550 5.1.1 Not a local address: <someone@bar.com>
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: blah
C: 
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
S: 250 2.1.5 <pat@foo.edu> delivered
S: 250 2.1.5 <green@foo.edu> delivered
S2: * 1 EXISTS
S2: * 1 RECENT
C2: DONE
S2: a3 OK IDLE terminated
C2: a4 FETCH 1 (BODY.PEEK[HEADER.FIELDS (RETURN-PATH SUBJECT)] BODY.PEEK[TEXT])
S2: * 1 FETCH (BODY[HEADER.FIELDS (RETURN-PATH SUBJECT)] {47}Return-Path: <chris@bar.com>\r\nSubject: blah\r\n\r\n BODY[TEXT] {37}Blah blah blah...\r\n..etc. etc. etc.\r\n)
S2: a4 OK FETCH completed
C2: a5 SEARCH HEADER Received "by localhost (Lemonade) with LMTP" NOT HEADER Message-ID ""
S2: * SEARCH 1
S2: a5 OK SEARCH completed
C: AUTH PLAIN AHBhdABwdzE=
S: 502 5.5.1 Not available over LMTP
C: MAIL FROM:<>
S: 250 2.1.0 Sender <> OK
C: RCPT TO:<pat@foo.edu>
S: 250 2.1.5 Recipient <pat@foo.edu> OK
C: RCPT TO:<green+lists@foo.edu>
S: 250 2.1.5 Recipient <green+lists@foo.edu> OK
# server.aliases: a local part at every local domain, a full address
# exactly (bar.com is not a domain of ours, sales@bar.com is an alias).
C: RCPT TO:<Postmaster@foo.edu>
S: 250 2.1.5 Recipient <Postmaster@foo.edu> OK
C: RCPT TO:<sales@bar.com>
S: 250 2.1.5 Recipient <sales@bar.com> OK
C: RCPT TO:<info@bar.com>
S: 550 5.1.1 Not a local address: <info@bar.com>
!raw 1 b"BDAT 18 LAST\r\nSubject: chunk\r\n\r\n"
S: 250 2.1.5 <pat@foo.edu> delivered
S: 250 2.1.5 <green+lists@foo.edu> delivered
S: 250 2.1.5 <Postmaster@foo.edu> delivered
S: 250 2.1.5 <sales@bar.com> delivered
# The other LHLO keywords: pipelined (PIPELINING), a declared SIZE over
# the limit (552 5.3.4), BODY=8BITMIME with SMTPUTF8 and a UTF-8 sender,
# BODY=BINARYMIME by BDAT.
!raw 1 b"MAIL FROM:<a@b.example> SIZE=999999999\r\nMAIL FROM:<gr\xc3\xbc\xc3\x9fe@b.example> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<pat@foo.edu>\r\nDATA\r\n"
S: 552 5.3.4 Message size exceeds the fixed limit of 52428800 octets
S: 250 2.1.0 Sender <grüße@b.example> OK
S: 250 2.1.5 Recipient <pat@foo.edu> OK
S: 354 Start mail input; end with <CRLF>.<CRLF>
!raw 1 b"Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n.\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<pat@foo.edu>\r\nBDAT 9 LAST\r\nx\r\n\r\n\x00\x01\r\n"
S: 250 2.1.5 <pat@foo.edu> delivered
S: 250 2.1.0 Sender <a@b.example> OK
S: 250 2.1.5 Recipient <pat@foo.edu> OK
S: 250 2.1.5 <pat@foo.edu> delivered
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
