# limits.max_account_size, a quota over all of an account's mailboxes: LMTP
# answers a full mailbox per recipient (RFC 2033 §4.2) with 452 4.2.2
# (RFC 3463 "Mailbox full", temporary: the user may make room) while the
# other recipient gets its copy; a message bigger than the whole quota
# gets 552 5.2.3 ("Message length exceeds administrative limit"); IMAP
# APPEND over it gets NO [OVERQUOTA] (RFC 5530 §3); after an EXPUNGE the
# mail fits again; a COPY counts the sizes of what it copies: one that
# fits is done, one that does not gets NO [OVERQUOTA] and copies nothing.
# With SIZE= declared, RCPT already refuses what cannot fit.
!protocol lmtp
!user pat pw1
!user green pw2
!option server.domains=["foo.edu"]
!option limits.max_account_size=700
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
C: MAIL FROM:<chris@bar.com>
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 250 2.1.5 Recipient <pat@foo.edu> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: first
C: 
C: 0123456789012345678901234567890123456789012345678901234567890123456789
C: 0123456789012345678901234567890123456789012345678901234567890123456789
C: 0123456789012345678901234567890123456789012345678901234567890123456789
C: .
S: 250 2.1.5 <pat@foo.edu> delivered
C: MAIL FROM:<chris@bar.com>
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 250 2.1.5 Recipient <pat@foo.edu> OK
C: RCPT TO:<green@foo.edu>
S: 250 2.1.5 Recipient <green@foo.edu> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: second
C: 
C: 0123456789012345678901234567890123456789012345678901234567890123456789
C: 0123456789012345678901234567890123456789012345678901234567890123456789
C: 0123456789012345678901234567890123456789012345678901234567890123456789
C: .
S: 452 4.2.2 <pat@foo.edu> Mailbox full (quota exceeded)
S: 250 2.1.5 <green@foo.edu> delivered
C: MAIL FROM:<chris@bar.com>
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<green@foo.edu>
S: 250 2.1.5 Recipient <green@foo.edu> OK
!raw 1 b"DATA\r\n"
S: 354 Start mail input; end with <CRLF>.<CRLF>
!raw 1 b"Subject: big\r\n\r\n" + (b"x" * 78 + b"\r\n") * 10 + b".\r\n"
S: 552 5.2.3 <green@foo.edu> Message is larger than the mailbox quota
# At RCPT time (RFC 5321 §4.3.2: 452 and 552 are RCPT replies), with the
# size MAIL declared (RFC 1870 SIZE=): each account holds one message of
# about 430 octets, so 500 more fit in neither (452 4.2.2, before the
# message is sent), 100 fit, and 701 is more than the whole quota (552
# 5.2.3). Without SIZE, only a full account is refused at RCPT.
C: MAIL FROM:<chris@bar.com> SIZE=500
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 452 4.2.2 <pat@foo.edu> Mailbox full (quota exceeded)
C: RCPT TO:<green@foo.edu>
S: 452 4.2.2 <green@foo.edu> Mailbox full (quota exceeded)
C: DATA
S: 554 5.5.1 No valid recipients
C: RSET
S: 250 2.0.0 OK
C: MAIL FROM:<chris@bar.com> SIZE=701
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 552 5.2.3 <pat@foo.edu> Message is larger than the mailbox quota
C: RSET
S: 250 2.0.0 OK
C: MAIL FROM:<chris@bar.com> SIZE=100
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 250 2.1.5 Recipient <pat@foo.edu> OK
C: RSET
S: 250 2.0.0 OK
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN pat pw1
S2: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!raw 2 b"a2 APPEND INBOX {400+}\r\nSubject: y\r\n\r\n" + b"z" * 386 + b"\r\n"
S2: a2 NO [OVERQUOTA] Quota exceeded: the account holds ${used} of 700 octets, and 400 more do not fit
C2: a3 SELECT INBOX
S2: * 1 EXISTS
S2: * 1 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 2] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: a3 OK [READ-WRITE] SELECT completed
C2: a4 STORE 1 +FLAGS.SILENT (\Deleted)
S2: a4 OK STORE completed
C2: a5 EXPUNGE
S2: * 1 EXPUNGE
S2: * 0 RECENT
S2: a5 OK EXPUNGE completed
C: MAIL FROM:<chris@bar.com>
S: 250 2.1.0 Sender <chris@bar.com> OK
C: RCPT TO:<pat@foo.edu>
S: 250 2.1.5 Recipient <pat@foo.edu> OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Subject: third
C: 
C: fits again
C: .
S: 250 2.1.5 <pat@foo.edu> delivered
!raw 2 b"a6 APPEND INBOX {200+}\r\nSubject: c\r\n\r\n" + b"c" * 186 + b"\r\n"
S2: * 2 EXISTS
S2: * 2 RECENT
S2: a6 OK [APPENDUID ${uv} 3] APPEND completed
C2: a7 UID COPY 3 INBOX
S2: * 3 EXISTS
S2: * 3 RECENT
S2: a7 OK [COPYUID ${uv} 3 4] COPY completed
C2: a8 UID COPY 3 INBOX
S2: a8 NO [OVERQUOTA] Quota exceeded: the account holds ${used2} of 700 octets, and 200 more do not fit
C2: a9 STATUS INBOX (MESSAGES)
S2: * STATUS INBOX (MESSAGES 3)
S2: a9 OK STATUS completed
