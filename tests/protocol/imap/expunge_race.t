# RFC 3501 §7.4.1: "it is NOT permitted to send an EXPUNGE response while
# responding to a FETCH, STORE, or SEARCH command", so a session that has
# not been told of another session's expunge still names the message, and
# may FETCH it (§5.5). RFC 2180 §4.1.1: the server keeps the expunged
# message "available to satisfy subsequent FETCH commands until it is able
# to send an EXPUNGE response". Its content stays until then, also when no
# other message shares it.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 LOGIN demo secret
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a2 APPEND INBOX {12+}
C: Subject: a
C:  {12+}
C: Subject: b
C: 
S: a2 OK [APPENDUID ${uv} 1:2] APPEND completed
C: a3 SELECT INBOX
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a3 OK [READ-WRITE] SELECT completed
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 LOGIN demo secret
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: b2 SELECT INBOX
S2: * 2 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 3] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: b2 OK [READ-WRITE] SELECT completed
C2: b3 STORE 1 +FLAGS.SILENT (\Deleted)
S2: b3 OK STORE completed
C2: b4 EXPUNGE
S2: * 1 EXPUNGE
S2: b4 OK EXPUNGE completed
# Session 1 has not been told: message 1 is still there for it, content
# and all; a write by session 2 in between does not take it away.
C2: b5 STORE 1 +FLAGS (\Seen)
S2: * 1 FETCH (FLAGS (\Seen))
S2: b5 OK STORE completed
C: a4 FETCH 1 (BODY.PEEK[] RFC822.SIZE)
S: * 1 FETCH (BODY[] {12}Subject: a\r\n RFC822.SIZE 12)
S: * 1 FETCH (FLAGS (\Deleted \Recent) UID 1)
S: * 2 FETCH (FLAGS (\Seen \Recent) UID 2)
S: a4 OK FETCH completed
C: a5 UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])
S: * 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {12}Subject: a\r\n)
# The UID versions may send EXPUNGE (§7.4.1: "This rule is not applicable
# for the UID versions of these commands"): the session is told now, and
# the message is gone.
S: * 1 EXPUNGE
S: * 1 RECENT
S: a5 OK UID FETCH completed
C: a6 NOOP
S: a6 OK NOOP completed
C: a7 FETCH 1 (BODY.PEEK[])
S: * 1 FETCH (BODY[] {12}Subject: b\r\n)
S: a7 OK FETCH completed
C2: b6 NOOP
S2: b6 OK NOOP completed
C: a8 UID FETCH 1 (BODY.PEEK[])
S: a8 OK UID FETCH completed
