# RFC 5267 CONTEXT=SEARCH: SEARCH RETURN (PARTIAL first:last), UPDATE with
# ADDTO/REMOVEFROM as other sessions' and this session's changes move
# messages in and out of the result (REMOVEFROM before the EXPUNGE, ADDTO
# after the EXISTS), CONTEXT as a hint, CANCELUPDATE, tag reuse.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {12+}
C: Subject: a
C:  {12+}
C: Subject: b
C:  (\Seen) {12+}
C: Subject: c
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
# §4.3 (cf. the RFC's B01 example): COUNT now, then updates.
C: a3 SEARCH RETURN (COUNT UPDATE) UNSEEN
S: * ESEARCH (TAG "a3") COUNT 2
S: a3 OK SEARCH completed
# §4.4: PARTIAL gives the messages at those positions of the result.
C: a4 UID SEARCH RETURN (PARTIAL 2:5 UPDATE CONTEXT) ALL
S: * ESEARCH (TAG "a4") UID PARTIAL (2:5 2:3)
S: a4 OK UID SEARCH completed
C: a5 SEARCH RETURN (PARTIAL 5:9) ALL
S: * ESEARCH (TAG "a5") PARTIAL (5:9 NIL)
S: a5 OK SEARCH completed
C: a6 SEARCH RETURN (ALL PARTIAL 1:2) ALL
S: a6 BAD SEARCH: PARTIAL and ALL together
# UPDATE alone asks for no result data; read as RETURN () (RFC 4731 §3.1:
# "equivalent to (ALL)"), so the client has the initial result its updates
# apply to, and the ESEARCH response comes even when nothing matches.
C: a7 SEARCH RETURN (UPDATE) SUBJECT b
S: * ESEARCH (TAG "a7") ALL 2
S: a7 OK SEARCH completed
C: a7z SEARCH RETURN (UPDATE) SUBJECT nothing-has-this
S: * ESEARCH (TAG "a7z")
S: a7z OK SEARCH completed
# §4.3: a tag already updating a search is BAD.
C: a3 SEARCH RETURN (UPDATE) ALL
S: a3 BAD Tag already in use by an updating search
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b0 LOGIN demo secret
S2: b0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
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
# Another session's flag change takes message 1 out of UNSEEN.
C2: b2 STORE 1 +FLAGS (\Seen)
S2: * 1 FETCH (FLAGS (\Seen))
S2: b2 OK STORE completed
C: a8 NOOP
S: * 1 FETCH (FLAGS (\Seen \Recent) UID 1)
S: * ESEARCH (TAG "a3") REMOVEFROM (0 1)
S: a8 OK NOOP completed
# A new message joins every search it matches, after the EXISTS.
C2: b3 APPEND INBOX {10+}
C2: Subject: b
S2: * 4 EXISTS
S2: * 1 RECENT
S2: b3 OK [APPENDUID ${uv} 4] APPEND completed
C: a9 NOOP
S: * 4 EXISTS
S: * 3 RECENT
S: * ESEARCH (TAG "a3") ADDTO (0 4)
S: * ESEARCH (TAG "a4") UID ADDTO (0 4)
S: * ESEARCH (TAG "a7") ADDTO (0 4)
S: a9 OK NOOP completed
# An expunged message leaves them before the EXPUNGE.
C2: b4 STORE 2 +FLAGS.SILENT (\Deleted)
S2: b4 OK STORE completed
C2: b5 EXPUNGE
S2: * 2 EXPUNGE
S2: b5 OK EXPUNGE completed
C: b6 NOOP
S: * ESEARCH (TAG "a3") REMOVEFROM (0 2)
S: * ESEARCH (TAG "a4") UID REMOVEFROM (0 2)
S: * ESEARCH (TAG "a7") REMOVEFROM (0 2)
S: * 2 EXPUNGE
S: * 2 RECENT
S: b6 OK NOOP completed
# This session's own changes count too.
C: b7 STORE 2 -FLAGS (\Seen)
S: * 2 FETCH (FLAGS (\Recent))
S: * ESEARCH (TAG "a3") ADDTO (0 2)
S: b7 OK STORE completed
# §4.3.5 CANCELUPDATE.
C: b8 CANCELUPDATE "a3" "a4"
S: b8 OK CANCELUPDATE completed
C: b9 CANCELUPDATE "a3"
S: b9 NO No updating search with tag a3
C: c1 STORE 1 -FLAGS (\Seen)
S: * 1 FETCH (FLAGS (\Recent))
S: c1 OK STORE completed
# A new selection ends the updating searches.
C: c2 SELECT INBOX
S: * OK [CLOSED] Previous mailbox closed
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: c2 OK [READ-WRITE] SELECT completed
C: c3 CANCELUPDATE "a7"
S: c3 NO No updating search with tag a7
