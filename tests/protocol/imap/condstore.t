# RFC 7162 §3.1 CONDSTORE: MODSEQ per message, HIGHESTMODSEQ in SELECT and
# STATUS, FETCH MODSEQ and CHANGEDSINCE, STORE UNCHANGEDSINCE with
# [MODIFIED], SEARCH MODSEQ, the implicit enabling of §3.1, and MODSEQ in
# the FETCH responses of other sessions' changes. The commands follow the
# RFC's examples with this mailbox's numbers.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# A new mailbox starts at MODSEQ 1; each appended message takes the next
# one, a STORE one for all the messages it changes.
C: a1 STATUS INBOX (HIGHESTMODSEQ)
S: * STATUS INBOX (HIGHESTMODSEQ 1)
S: a1 OK STATUS completed
C: a2 APPEND INBOX {12+}
C: Subject: a
C:  {12+}
C: Subject: b
C:  (\Seen) {12+}
C: Subject: c
C:  {12+}
C: Subject: d
C: 
S: a2 OK [APPENDUID ${uv} 1:4] APPEND completed
# §3.1.2.1 / §3.1.8: SELECT (CONDSTORE), HIGHESTMODSEQ after UIDNEXT.
C: a3 SELECT INBOX (CONDSTORE)
S: * 4 EXISTS
S: * 4 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * OK [HIGHESTMODSEQ 5] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a3 OK [READ-WRITE] SELECT completed
# §3.1.4.2: the MODSEQ item.
C: a4 FETCH 1:* (FLAGS MODSEQ)
S: * 1 FETCH (FLAGS (\Recent) MODSEQ (2))
S: * 2 FETCH (FLAGS (\Recent) MODSEQ (3))
S: * 3 FETCH (FLAGS (\Seen \Recent) MODSEQ (4))
S: * 4 FETCH (FLAGS (\Recent) MODSEQ (5))
S: a4 OK FETCH completed
# §3.1.3 example 3: every message passes UNCHANGEDSINCE; .SILENT still
# reports each new MODSEQ (with the UID, this being UID STORE).
C: a5 UID STORE 2,4,1 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\Deleted)
S: * 1 FETCH (UID 1 MODSEQ (6))
S: * 2 FETCH (UID 2 MODSEQ (6))
S: * 4 FETCH (UID 4 MODSEQ (6))
S: a5 OK UID STORE completed
# §3.1.3 example 4: message 1 changed after MODSEQ 2, so it fails the test
# and is listed in [MODIFIED]; message 3 is changed and reported. §3.2.4:
# "Once a CONDSTORE enabling command is issued by the client, the server
# MUST automatically include both UID and mod-sequence data in all
# subsequent untagged FETCH responses ..., whether they were caused by a
# regular STORE/UID STORE, ..., a FETCH/UID FETCH that implicitly set the
# \Seen flag, or an external agent."
C: a6 STORE 1,3 (UNCHANGEDSINCE 5) +FLAGS (\Flagged)
S: * 3 FETCH (FLAGS (\Flagged \Seen \Recent) UID 3 MODSEQ (7))
S: a6 OK [MODIFIED 1] Conditional STORE failed
# UID STORE lists UIDs in [MODIFIED]; UNCHANGEDSINCE 0 fails for every
# message (§3.1.3: a way to test that messages exist without changing them).
C: a7 UID STORE 1:4 (UNCHANGEDSINCE 0) -FLAGS (\Deleted)
S: a7 OK [MODIFIED 1:4] Conditional STORE failed
# Setting a flag a message already has changes nothing and takes no MODSEQ;
# the FETCH shows the current one.
C: a8 STORE 3 +FLAGS (\Seen)
S: * 3 FETCH (FLAGS (\Flagged \Seen \Recent) UID 3 MODSEQ (7))
S: a8 OK STORE completed
C: a9 STORE 2 -FLAGS.SILENT (\Deleted)
S: * 2 FETCH (UID 2 MODSEQ (8))
S: a9 OK STORE completed
# §3.1.4.1: CHANGEDSINCE keeps only messages changed after the MODSEQ and
# implies the MODSEQ item.
C: b1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 6)
S: * 2 FETCH (UID 2 FLAGS (\Recent) MODSEQ (8))
S: * 3 FETCH (UID 3 FLAGS (\Flagged \Seen \Recent) MODSEQ (7))
S: b1 OK UID FETCH completed
C: b2 FETCH 1:4 (UID) (CHANGEDSINCE 8)
S: b2 OK FETCH completed
# §3.1.5 / §3.1.6: SEARCH MODSEQ (at or above), with the highest MODSEQ of
# the messages found; the entry name and type are accepted and, as one
# MODSEQ is kept per message, do not narrow the search.
C: b3 SEARCH MODSEQ "/flags/\\draft" all 7
S: * SEARCH 2 3 (MODSEQ 8)
S: b3 OK SEARCH completed
C: b4 UID SEARCH OR MODSEQ 8 DELETED
S: * SEARCH 1 2 4 (MODSEQ 8)
S: b4 OK UID SEARCH completed
C: b5 SEARCH MODSEQ 9
S: * SEARCH
S: b5 OK SEARCH completed
C: b6 SEARCH MODSEQ "/flags/seen" other 1
S: b6 BAD SEARCH: invalid MODSEQ entry type
C: b7 SEARCH MODSEQ "flags" all 1
S: b7 BAD SEARCH: invalid MODSEQ entry name
C: b8 FETCH 1 (FLAGS) (CHANGEDSINCE)
S: b8 BAD FETCH: expected a space
C: b9 FETCH 1 (FLAGS) (NOSUCH 1)
S: b9 BAD FETCH: unknown FETCH modifier NOSUCH
# §3.1.7: STATUS HIGHESTMODSEQ.
C: c1 STATUS INBOX (MESSAGES HIGHESTMODSEQ)
S: * STATUS INBOX (MESSAGES 4 HIGHESTMODSEQ 8)
S: c1 OK STATUS completed
# §3.1: another session's change reaches this CONDSTORE-aware one with
# its MODSEQ (and the UID).
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: d0 LOGIN demo secret
S2: d0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: d1 SELECT INBOX
S2: * 4 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 5] Predicted next UID
S2: * OK [HIGHESTMODSEQ 8] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: d1 OK [READ-WRITE] SELECT completed
# Not CONDSTORE-aware: no MODSEQ in its own STORE's FETCH. A keyword new
# to the mailbox is announced in FLAGS (and PERMANENTFLAGS) before any
# FETCH shows it, to this session and to the other (RFC 3501 §7.2.6: "The
# update from the FLAGS response MUST be recorded by the client").
C2: d2 STORE 4 +FLAGS ($Forwarded)
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S2: * 4 FETCH (FLAGS (\Deleted $Forwarded))
S2: d2 OK STORE completed
C: c2 NOOP
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: * 4 FETCH (FLAGS (\Deleted $Forwarded \Recent) UID 4 MODSEQ (9))
S: c2 OK NOOP completed
# A message FETCH marks \Seen changes its MODSEQ, which is reported.
C: c3 FETCH 1 BODY[HEADER]
S: * 1 FETCH (BODY[HEADER] {12}Subject: a\r\n FLAGS (\Deleted \Seen \Recent) UID 1 MODSEQ (10))
S: c3 OK FETCH completed
# ENABLE lists CONDSTORE even though it is already on (implicitly).
C: c4 ENABLE CONDSTORE
S: * ENABLED CONDSTORE
S: c4 OK ENABLE completed
# New messages carry no MODSEQ in EXISTS: the new HIGHESTMODSEQ follows
# (§3.1.2.1), whether another session appended or this one did, so a
# client that records it does not take them for changed ones later.
C2: d3 APPEND INBOX {12+}
C2: Subject: e
C2: 
S2: * 5 EXISTS
S2: * 1 RECENT
S2: * 1 FETCH (FLAGS (\Deleted \Seen) UID 1)
S2: d3 OK [APPENDUID ${uv} 5] APPEND completed
C: c5 NOOP
S: * 5 EXISTS
S: * 4 RECENT
S: * OK [HIGHESTMODSEQ 11] Highest
S: c5 OK NOOP completed
C: c6 APPEND INBOX {12+}
C: Subject: f
C: 
S: * 6 EXISTS
S: * 5 RECENT
S: * OK [HIGHESTMODSEQ 12] Highest
S: c6 OK [APPENDUID ${uv} 6] APPEND completed
# Session 2 did not enable CONDSTORE: no HIGHESTMODSEQ for it.
C2: d4 NOOP
S2: * 6 EXISTS
S2: * 1 RECENT
S2: d4 OK NOOP completed
C: c7 LOGOUT
S: * BYE Lemonade logging out
S: c7 OK LOGOUT completed
!closed 1
