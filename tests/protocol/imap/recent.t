# RFC 3501 §2.3.2 \Recent, §6.3.2 EXAMINE, §6.3.10 STATUS (RECENT).
# §6.3.2: "The EXAMINE command is identical to SELECT and returns the same
# output; however, the selected mailbox is identified as read-only. No
# changes to the permanent state of the mailbox, including per-user state,
# are permitted; in particular, EXAMINE MUST NOT cause messages to lose
# the \Recent flag." So EXAMINE reports the recent count without claiming
# it, STATUS (RECENT) agrees, and a later SELECT still sees them recent.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 LOGIN demo secret
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a2 APPEND INBOX {12+}
C: Subject: a
C:  {12+}
C: Subject: b
C: 
S: a2 OK [APPENDUID ${uv} 1:2] APPEND completed
C: a3 STATUS INBOX (MESSAGES RECENT)
S: * STATUS INBOX (MESSAGES 2 RECENT 2)
S: a3 OK STATUS completed
C: a4 EXAMINE INBOX
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a4 OK [READ-ONLY] EXAMINE completed
C: a5 FETCH 1:* (FLAGS)
S: * 1 FETCH (FLAGS (\Recent))
S: * 2 FETCH (FLAGS (\Recent))
S: a5 OK FETCH completed
# A message that arrives while the mailbox is examined is recent too.
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 LOGIN demo secret
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: b2 APPEND INBOX {12+}
C2: Subject: c
C2: 
S2: b2 OK [APPENDUID ${uv} 3] APPEND completed
C: a6 NOOP
S: * 3 EXISTS
S: * 3 RECENT
S: a6 OK NOOP completed
C2: b3 STATUS INBOX (RECENT)
S2: * STATUS INBOX (RECENT 3)
S2: b3 OK STATUS completed
# The SELECT claims them: it sees them recent, later sessions do not.
C2: b4 SELECT INBOX
S2: * 3 EXISTS
S2: * 3 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 4] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms2}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: b4 OK [READ-WRITE] SELECT completed
C: a7 EXAMINE INBOX
S: * OK [CLOSED] Previous mailbox closed
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms2}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a7 OK [READ-ONLY] EXAMINE completed
