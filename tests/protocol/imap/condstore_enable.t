# RFC 7162 §3.1: "A first CONDSTORE enabling command executed in the
# session with a mailbox selected MUST cause the server to return
# HIGHESTMODSEQ (Section 3.1.2.1) for the mailbox", and from then on every
# untagged FETCH carries UID and MODSEQ (§3.2.4), also one caused by a
# plain STORE or by another session. RFC 3501 §7.2.6: a keyword another
# session created reaches this one in FLAGS before a FETCH shows it.
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
S: * OK [HIGHESTMODSEQ 3] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a3 OK [READ-WRITE] SELECT completed
# Before CONDSTORE is enabled: a plain STORE's FETCH has neither.
C: a4 STORE 1 +FLAGS (\Answered)
S: * 1 FETCH (FLAGS (\Answered \Recent))
S: a4 OK STORE completed
# The first CONDSTORE enabling command: FETCH with MODSEQ.
C: a5 FETCH 2 (MODSEQ)
S: * 2 FETCH (MODSEQ (3))
S: * OK [HIGHESTMODSEQ 4] Highest
S: a5 OK FETCH completed
# Not a first one: no HIGHESTMODSEQ again.
C: a6 FETCH 2 (MODSEQ)
S: * 2 FETCH (MODSEQ (3))
S: a6 OK FETCH completed
C: a7 STORE 2 +FLAGS (\Flagged)
S: * 2 FETCH (FLAGS (\Flagged \Recent) UID 2 MODSEQ (5))
S: a7 OK STORE completed
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
S2: * OK [HIGHESTMODSEQ 5] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: b2 OK [READ-WRITE] SELECT completed
# Another session's plain STORE creates a keyword: this session hears
# FLAGS and PERMANENTFLAGS first, then the FETCH with UID and MODSEQ.
C2: b3 STORE 1 +FLAGS ($Important)
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important \*)] Flags permitted
S2: * 1 FETCH (FLAGS (\Answered $Important))
S2: b3 OK STORE completed
C: a8 NOOP
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important \*)] Flags permitted
S: * 1 FETCH (FLAGS (\Answered $Important \Recent) UID 1 MODSEQ (6))
S: a8 OK NOOP completed
# A keyword already announced is not announced again.
C2: b4 STORE 2 +FLAGS ($important)
S2: * 2 FETCH (FLAGS (\Flagged $important))
S2: b4 OK STORE completed
C: a9 NOOP
S: * 2 FETCH (FLAGS (\Flagged $important \Recent) UID 2 MODSEQ (7))
S: a9 OK NOOP completed
