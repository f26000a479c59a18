# RFC 5267 §4 CONTEXT=SORT: SORT RETURN (PARTIAL, UPDATE) with ADDTO and
# REMOVEFROM at positions of the sorted result (removals before the
# EXPUNGE, insertions after the EXISTS).
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL COMPRESS=DEFLATE] Logged in
# Sizes 24, 14 and 17 octets; subjects c, a, b; message 3 seen.
C: a1 APPEND INBOX {24+}
C: Subject: c
C: 
C: xxxxxxxx
C:  {14+}
C: Subject: a
C: 
C:  (\Seen) {17+}
C: Subject: b
C: 
C: x
C: 
S: a1 OK [APPENDUID ${uv} 1:3] APPEND completed
C: a2 SELECT INBOX
S: * 3 EXISTS
S: * 3 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 4] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
C: a3 SORT RETURN (ALL UPDATE) (SUBJECT) UTF-8 UNSEEN
S: * ESEARCH (TAG "a3") ALL 2,1
S: a3 OK SORT completed
C: a4 UID SORT RETURN (PARTIAL 1:2 UPDATE) (REVERSE SIZE) UTF-8 ALL
S: * ESEARCH (TAG "a4") UID PARTIAL (1:2 1,3)
S: a4 OK UID SORT completed
C: a4 SORT RETURN (UPDATE) (SIZE) UTF-8 ALL
S: a4 BAD Tag already in use by an updating search
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b0 LOGIN demo secret
S2: b0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL COMPRESS=DEFLATE] Logged in
C2: b1 SELECT INBOX
S2: * 3 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 4] Predicted next UID
S2: * OK [HIGHESTMODSEQ 4] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: b1 OK [READ-WRITE] SELECT completed
# Message 3 ("b") becomes unseen: it goes to position 2 of "a", "c".
C2: b2 STORE 3 -FLAGS (\Seen)
S2: * 3 FETCH (FLAGS ())
S2: b2 OK STORE completed
C: a5 NOOP
S: * 3 FETCH (FLAGS (\Recent) UID 3)
S: * ESEARCH (TAG "a3") ADDTO (2 3)
S: a5 OK NOOP completed
# A new message "aa" of 20 octets: position 2 in both.
C2: b3 APPEND INBOX {20+}
C2: Subject: aa
C2: 
C2: xxx
C2: 
S2: * 4 EXISTS
S2: * 1 RECENT
S2: b3 OK [APPENDUID ${uv} 4] APPEND completed
C: a6 NOOP
S: * 4 EXISTS
S: * 3 RECENT
S: * ESEARCH (TAG "a3") ADDTO (2 4)
S: * ESEARCH (TAG "a4") UID ADDTO (2 4)
S: a6 OK NOOP completed
# Message 2 ("a", 14 octets) expunged: first of a3, last of a4.
C2: b4 STORE 2 +FLAGS.SILENT (\Deleted)
S2: b4 OK STORE completed
C2: b5 EXPUNGE
S2: * 2 EXPUNGE
S2: b5 OK EXPUNGE completed
C: a7 NOOP
S: * ESEARCH (TAG "a3") REMOVEFROM (1 2)
S: * ESEARCH (TAG "a4") UID REMOVEFROM (4 2)
S: * 2 EXPUNGE
S: * 2 RECENT
S: a7 OK NOOP completed
# This session's change: "c" (now message 1) seen, so it leaves a3 at 3.
C: a8 STORE 1 +FLAGS (\Seen)
S: * 1 FETCH (FLAGS (\Seen \Recent))
S: * ESEARCH (TAG "a3") REMOVEFROM (3 1)
S: a8 OK STORE completed
C: a9 CANCELUPDATE "a3" "a4"
S: a9 OK CANCELUPDATE completed
