# RFC 3030 CHUNKING and BINARYMIME: the §4.1 and §4.2 examples (sizes as
# sent here), BDAT 0 LAST, octets of a refused chunk read and dropped
# (§2), DATA after BDAT and DATA with BODY=BINARYMIME are 503 (§3, §4),
# chunks after a failed one are dropped until RSET, and the message
# arrives with every octet kept (BINARYMIME): its body, which holds NULs
# no IMAP4rev1 client may be sent, is stored base64-encoded (as a literal8
# APPEND is, RFC 3516 §4.4), "AAENAP8NCg==" being \0 \x01 \r \0 \xff \r \n.
# A NUL in the header could not be kept that way: 554 5.6.0 before the 250.
!protocol submission
!user sam pw
!user susan pw2
!option submission.max_message_size=300
S: 220 localhost ESMTP Lemonade
C: EHLO ymir.claremont.edu
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 300
S: 250-ENHANCEDSTATUSCODES
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250 DSN
# A chunk before MAIL is still read (its 8 octets never parse as commands).
!raw 1 b"BDAT 8\r\nQUIT\r\n\r\n"
S: 503 5.5.1 Need MAIL and RCPT before BDAT
C: AUTH PLAIN AHNhbQBwdw==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<sam@localhost>
S: 250 2.1.0 Sender <sam@localhost> OK
C: RCPT TO:<susan@localhost>
S: 250 2.1.5 Recipient <susan@localhost> OK
!raw 1 b"BDAT 84 LAST\r\nTo: susan@localhost\r\nFrom: sam@localhost\r\nSubject: This is a bodyless test message\r\n"
S: 250 2.0.0 Message queued as ${one}
# The queue delivers in the background, on several threads: wait for the
# first message before sending the second, so their UIDs follow the order sent.
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a1 LOGIN susan pw2
S2: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!poll 2 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 1)
# §4.2: pipelined chunks of a BINARYMIME message, then BDAT 0 LAST.
!raw 1 b"MAIL FROM:<sam@localhost> BODY=BINARYMIME\r\nRCPT TO:<susan@localhost>\r\nBDAT 21\r\nSubject: binary\r\n\r\n\x00\x01BDAT 5\r\n\r\x00\xff\r\nBDAT 0 LAST\r\n"
S: 250 2.1.0 Sender <sam@localhost> OK
S: 250 2.1.5 Recipient <susan@localhost> OK
S: 250 2.0.0 21 octets received
S: 250 2.0.0 5 octets received
S: 250 2.0.0 Message queued as ${two}
C: MAIL FROM:<sam@localhost> BODY=BINARYMIME
S: 250 2.1.0 Sender <sam@localhost> OK
C: RCPT TO:<susan@localhost>
S: 250 2.1.5 Recipient <susan@localhost> OK
C: DATA
S: 503 5.5.1 BODY=BINARYMIME requires BDAT
C: RSET
S: 250 2.0.0 OK
# DATA after BDAT in one transaction.
C: MAIL FROM:<sam@localhost>
S: 250 2.1.0 Sender <sam@localhost> OK
C: RCPT TO:<susan@localhost>
S: 250 2.1.5 Recipient <susan@localhost> OK
!raw 1 b"BDAT 3\r\nabc"
S: 250 2.0.0 3 octets received
C: DATA
S: 503 5.5.1 DATA after BDAT; use BDAT to the end or RSET
# A chunk over the size limit fails the transaction; pipelined chunks
# after it are read and dropped with 503 until RSET.
!raw 1 b"BDAT 400\r\n" + b"y" * 400 + b"BDAT 2 LAST\r\nzz"
S: 552 5.3.4 Message size exceeds the fixed limit of 300 octets
S: 503 5.5.1 The transaction failed; send RSET
C: RSET
S: 250 2.0.0 OK
C: MAIL FROM:<sam@localhost> BODY=BINARYMIME
S: 250 2.1.0 Sender <sam@localhost> OK
C: RCPT TO:<susan@localhost>
S: 250 2.1.5 Recipient <susan@localhost> OK
!raw 1 b"BDAT 22 LAST\r\nSubject: a\x00b\r\n\r\nbody\r\n"
S: 554 5.6.0 A NUL octet outside any body part cannot be stored
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
# Wait for the second delivery too.
!poll 2 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 2)
C2: a2 EXAMINE INBOX
S2: * 2 EXISTS
S2: * 2 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 3] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S2: a2 OK [READ-ONLY] EXAMINE completed
C2: a3 FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (TO FROM SUBJECT)] BODY.PEEK[TEXT])
S2: * 1 FETCH (BODY[HEADER.FIELDS (TO FROM SUBJECT)] {84}To: susan@localhost\r\nFrom: sam@localhost\r\nSubject: This is a bodyless test message\r\n BODY[TEXT] {0})
S2: * 2 FETCH (BODY[HEADER.FIELDS (TO FROM SUBJECT)] {19}Subject: binary\r\n\r\n BODY[TEXT] {12}AAENAP8NCg==)
S2: a3 OK FETCH completed
