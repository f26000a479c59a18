# RFC 7162 §3.2 QRESYNC: ENABLE, SELECT/EXAMINE (QRESYNC ...) with and
# without known UIDs and sequence match data, VANISHED (EARLIER) from the
# expunge log as compact UID ranges, UID FETCH (CHANGEDSINCE n VANISHED),
# VANISHED instead of EXPUNGE, HIGHESTMODSEQ after EXPUNGE and MOVE, [CLOSED];
# and the traps clients hit: a new or empty mailbox resynced from MODSEQ 0 or
# 1, .SILENT still reporting MODSEQ, a UIDVALIDITY change.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# §3.2.3 / §3.2.5: QRESYNC and VANISHED only after ENABLE QRESYNC.
C: a1 SELECT INBOX (QRESYNC (1 1))
S: a1 BAD QRESYNC parameter without ENABLE QRESYNC
C: a2 ENABLE QRESYNC
S: * ENABLED QRESYNC
S: a2 OK ENABLE completed
# A brand-new, empty mailbox resynced from MODSEQ 0 (accepted though the
# grammar wants 1 or more) and 1: nothing to report.
C: a3 CREATE fresh
S: a3 OK CREATE completed
C: a4 SELECT fresh (QRESYNC (0 1))
S: a4 BAD SELECT: expected a non-zero number
C: a5 SELECT fresh
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uvf}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ 1] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a5 OK [READ-WRITE] SELECT completed
C: a6 SELECT fresh (QRESYNC (${uvf} 0))
S: * OK [CLOSED] Previous mailbox closed
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uvf}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ 1] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a6 OK [READ-WRITE] SELECT completed
C: a7 EXAMINE fresh (QRESYNC (${uvf} 1 1:100))
S: * OK [CLOSED] Previous mailbox closed
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uvf}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ 1] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a7 OK [READ-ONLY] EXAMINE completed
# 1000 messages, UIDs 1:1000, MODSEQs 2 to 1001.
!raw 1 b"a8 APPEND INBOX" + b" {12+}\r\nSubject: x\r\n" * 1000 + b"\r\n"
S: a8 OK [APPENDUID ${uv} 1:1000] APPEND completed
C: a9 STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)
S: * STATUS INBOX (MESSAGES 1000 UIDNEXT 1001 HIGHESTMODSEQ 1001)
S: a9 OK STATUS completed
# Another session (QRESYNC too) moves most of them away, flags one, and
# expunges one: VANISHED, not EXPUNGE, and the new HIGHESTMODSEQ (§3.2.7).
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b0 LOGIN demo secret
S2: b0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: b1 ENABLE QRESYNC CONDSTORE
S2: * ENABLED QRESYNC CONDSTORE
S2: b1 OK ENABLE completed
C2: b2 SELECT INBOX
S2: * 1000 EXISTS
S2: * 1000 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 1001] Predicted next UID
S2: * OK [HIGHESTMODSEQ 1001] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: b2 OK [READ-WRITE] SELECT completed
C2: b3 UID MOVE 3:400,402,405:997 Trash
S2: * OK [COPYUID ${uvt} 3:400,402,405:997 1:992] Moved
S2: * VANISHED 3:400,402,405:997
S2: * 8 RECENT
S2: b3 OK [HIGHESTMODSEQ 1002] MOVE completed
C2: b4 UID STORE 403 +FLAGS (\Flagged)
S2: * 4 FETCH (FLAGS (\Flagged \Recent) UID 403 MODSEQ (1003))
S2: b4 OK UID STORE completed
# §3.1.3 under QRESYNC: .SILENT still reports the MODSEQ, with the UID.
C2: b5 STORE 8 +FLAGS.SILENT (\Deleted)
S2: * 8 FETCH (UID 1000 MODSEQ (1004))
S2: b5 OK STORE completed
C2: b6 EXPUNGE
S2: * VANISHED 1000
S2: * 7 RECENT
S2: b6 OK [HIGHESTMODSEQ 1005] EXPUNGE completed
# §3.2.5.1: resync from MODSEQ 1001. The expunges come as one compact
# VANISHED (EARLIER), before the FETCH of the flag change.
C: c1 SELECT INBOX (QRESYNC (${uv} 1001))
S: * OK [CLOSED] Previous mailbox closed
S: * 7 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1001] Predicted next UID
S: * OK [HIGHESTMODSEQ 1005] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * VANISHED (EARLIER) 3:400,402,405:997,1000
S: * 4 FETCH (UID 403 FLAGS (\Flagged) MODSEQ (1003))
S: c1 OK [READ-WRITE] SELECT completed
# With known UIDs, only those are reported; sequence match data is
# accepted (the log is complete, so it is not needed).
C: c2 EXAMINE INBOX (QRESYNC (${uv} 1001 1:5,403,990:1000 (1:3 1:3)))
S: * OK [CLOSED] Previous mailbox closed
S: * 7 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1001] Predicted next UID
S: * OK [HIGHESTMODSEQ 1005] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: * VANISHED (EARLIER) 3:5,990:997,1000
S: * 4 FETCH (UID 403 FLAGS (\Flagged) MODSEQ (1003))
S: c2 OK [READ-ONLY] EXAMINE completed
# MODSEQ 0 with known UIDs: every known message is reported.
C: c3 EXAMINE INBOX (QRESYNC (${uv} 0 1:3,998:1000))
S: * OK [CLOSED] Previous mailbox closed
S: * 7 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1001] Predicted next UID
S: * OK [HIGHESTMODSEQ 1005] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: * VANISHED (EARLIER) 3,1000
S: * 1 FETCH (UID 1 FLAGS () MODSEQ (2))
S: * 2 FETCH (UID 2 FLAGS () MODSEQ (3))
S: * 6 FETCH (UID 998 FLAGS () MODSEQ (999))
S: * 7 FETCH (UID 999 FLAGS () MODSEQ (1000))
S: c3 OK [READ-ONLY] EXAMINE completed
# §3.2.5: another UIDVALIDITY means the client's cache is void: a plain
# SELECT, no VANISHED, no FETCH (the client starts over).
C: c4 SELECT INBOX (QRESYNC (1 1001))
S: * OK [CLOSED] Previous mailbox closed
S: * 7 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1001] Predicted next UID
S: * OK [HIGHESTMODSEQ 1005] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: c4 OK [READ-WRITE] SELECT completed
# §3.2.6: UID FETCH (CHANGEDSINCE n VANISHED): the vanished UIDs of the set
# first, then the changed messages; VANISHED only in UID FETCH, only with
# CHANGEDSINCE.
C: c5 UID FETCH 300:* (FLAGS) (CHANGEDSINCE 1001 VANISHED)
S: * VANISHED (EARLIER) 300:400,402,405:997,1000
S: * 4 FETCH (UID 403 FLAGS (\Flagged) MODSEQ (1003))
S: c5 OK UID FETCH completed
C: c6 UID FETCH 1:2 (FLAGS) (CHANGEDSINCE 1003 VANISHED)
S: c6 OK UID FETCH completed
C: c7 FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)
S: c7 BAD FETCH: VANISHED is only allowed in UID FETCH
C: c8 UID FETCH 1:* (FLAGS) (VANISHED)
S: c8 BAD UID FETCH: VANISHED needs CHANGEDSINCE
# Others' expunges reach this session as VANISHED, its flag changes with
# UID and MODSEQ.
C2: b7 UID STORE 401 +FLAGS.SILENT (\Deleted \Seen)
S2: * 3 FETCH (UID 401 MODSEQ (1006))
S2: b7 OK UID STORE completed
C2: b8 UID EXPUNGE 401
S2: * VANISHED 401
S2: * 6 RECENT
S2: b8 OK [HIGHESTMODSEQ 1007] UID EXPUNGE completed
C2: b9 UID STORE 404 +FLAGS (\Seen)
S2: * 4 FETCH (FLAGS (\Seen \Recent) UID 404 MODSEQ (1008))
S2: b9 OK UID STORE completed
C: c9 NOOP
S: * VANISHED 401
S: * 4 FETCH (FLAGS (\Seen) UID 404 MODSEQ (1008))
S: c9 OK NOOP completed
# CLOSE expunges silently, without HIGHESTMODSEQ (§3.2.8).
C: d1 STORE 1 +FLAGS.SILENT (\Deleted)
S: * 1 FETCH (UID 1 MODSEQ (1009))
S: d1 OK STORE completed
C: d2 CLOSE
S: d2 OK CLOSE completed
# An expunge by another session: VANISHED, and the HIGHESTMODSEQ that
# came with it, which the client could not know otherwise (§3.1.2.1).
C2: b10 NOOP
S2: * VANISHED 1
S2: * 5 RECENT
S2: * OK [HIGHESTMODSEQ 1010] Highest
S2: b10 OK NOOP completed
# §3.2: an expunge that must wait (no EXPUNGE or VANISHED during FETCH,
# STORE or SEARCH, RFC 3501 §7.4.1) while MODSEQs above it go out: the
# client hears a HIGHESTMODSEQ below the expunge's last, so if it is cut
# off now it resyncs from before it.
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: e0 LOGIN demo secret
S3: e0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C3: e1 SELECT INBOX
S3: * 5 EXISTS
S3: * 0 RECENT
S3: * OK [UNSEEN 1] Message 1 is first unseen
S3: * OK [UIDVALIDITY ${uv}] UIDs valid
S3: * OK [UIDNEXT 1001] Predicted next UID
S3: * OK [HIGHESTMODSEQ 1010] Highest
S3: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S3: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S3: e1 OK [READ-WRITE] SELECT completed
C3: e2 UID STORE 404 +FLAGS.SILENT (\Deleted)
S3: e2 OK UID STORE completed
C3: e3 UID EXPUNGE 404
S3: * 3 EXPUNGE
S3: e3 OK UID EXPUNGE completed
C2: b11 FETCH 2 (FLAGS)
S2: * 2 FETCH (FLAGS (\Flagged \Recent))
S2: * 3 FETCH (FLAGS (\Deleted \Seen \Recent) UID 404 MODSEQ (1011))
S2: * OK [HIGHESTMODSEQ 1011] Highest
S2: b11 OK FETCH completed
C2: b12 STORE 2 +FLAGS (\Answered)
S2: * 2 FETCH (FLAGS (\Answered \Flagged \Recent) UID 403 MODSEQ (1013))
S2: * OK [HIGHESTMODSEQ 1011] Highest
S2: b12 OK STORE completed
C2: b13 NOOP
S2: * VANISHED 404
S2: * 4 RECENT
S2: * OK [HIGHESTMODSEQ 1013] Highest
S2: b13 OK NOOP completed
C3: e4 LOGOUT
S3: * BYE Lemonade logging out
S3: e4 OK LOGOUT completed
!closed 3
# A mailbox deleted and created again has another UIDVALIDITY: the old one
# gets a plain SELECT.
C: d3 DELETE fresh
S: d3 OK DELETE completed
C: d4 CREATE fresh
S: d4 OK CREATE completed
C: d5 SELECT fresh (QRESYNC (${uvf} 1))
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uvf2}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ 1] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: d5 OK [READ-WRITE] SELECT completed
!differ uvf uvf2
C: d6 LOGOUT
S: * BYE Lemonade logging out
S: d6 OK LOGOUT completed
!closed 1
