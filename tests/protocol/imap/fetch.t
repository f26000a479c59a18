# RFC 3501 §6.4.5 FETCH / §6.4.8 UID FETCH of flags, dates, sizes and
# whole-message sections; \Seen set by BODY[] but not BODY.PEEK[].
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX (\Flagged) "17-Jul-1996 02:44:25 -0700" {64+}
C: Date: Wed, 17 Jul 1996 02:23:25 -0700
C: From: a@b.example
C: 
C: Hi
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
C: a2 EXAMINE INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms1}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a2 OK [READ-ONLY] EXAMINE completed
C: a3 FETCH 1 FAST
S: * 1 FETCH (FLAGS (\Flagged \Recent) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 64)
S: a3 OK FETCH completed
# Read-only: BODY[] does not set \Seen.
C: a4 FETCH 1 (BODY[HEADER.FIELDS (from)] BODY[TEXT])
S: * 1 FETCH (BODY[HEADER.FIELDS (from)] {21}From: a@b.example\r\n\r\n BODY[TEXT] {4}Hi\r\n)
S: a4 OK FETCH completed
C: a5 SELECT INBOX
S: * OK [CLOSED] Previous mailbox closed
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms2}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a5 OK [READ-WRITE] SELECT completed
C: a6 UID FETCH 1 (BODY.PEEK[]<0.4> RFC822.SIZE)
S: * 1 FETCH (UID 1 BODY[]<0> {4}Date RFC822.SIZE 64)
S: a6 OK UID FETCH completed
C: a7 FETCH 1 BODY[HEADER.FIELDS.NOT (Date)]
S: * 1 FETCH (BODY[HEADER.FIELDS.NOT (Date)] {21}From: a@b.example\r\n\r\n FLAGS (\Flagged \Seen \Recent))
S: a7 OK FETCH completed
C: a8 FETCH 1 (FLAGS UID)
S: * 1 FETCH (FLAGS (\Flagged \Seen \Recent) UID 1)
S: a8 OK FETCH completed
C: a9 FETCH 1 ENVELOPE
S: * 1 FETCH (ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700" NIL ((NIL NIL "a" "b.example")) ((NIL NIL "a" "b.example")) ((NIL NIL "a" "b.example")) NIL NIL NIL NIL NIL))
S: a9 OK FETCH completed
C: a10 FETCH 2 FLAGS
S: a10 BAD Invalid message sequence number 2
