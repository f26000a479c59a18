# RFC 3501 §6.4.3 EXPUNGE, §6.4.6 STORE, §6.4.7 COPY (examples adapted);
# RFC 4315 COPYUID and UID EXPUNGE; RFC 6851 MOVE; RFC 7162 §3.1.3
# UNCHANGEDSINCE; flag changes by another session reported as FETCH.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {12+}
C: Subject: 1
C:  {12+}
C: Subject: 2
C:  {12+}
C: Subject: 3
C:  {12+}
C: Subject: 4
C: 
S: a1 OK [APPENDUID ${uv} 1:4] APPEND completed
C: a2 SELECT INBOX
S: * 4 EXISTS
S: * 4 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms1}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
# RFC 3501 §6.4.6 example
C: A003 STORE 2:4 +FLAGS (\Deleted)
S: * 2 FETCH (FLAGS (\Deleted \Recent))
S: * 3 FETCH (FLAGS (\Deleted \Recent))
S: * 4 FETCH (FLAGS (\Deleted \Recent))
S: A003 OK STORE completed
C: A004 UID STORE 1 FLAGS.SILENT ($Forwarded \Seen)
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: A004 OK UID STORE completed
C: A005 STORE 5 +FLAGS (\Seen)
S: A005 BAD Invalid message sequence number 5
# RFC 3501 §6.4.7 / RFC 4315 §3
C: A006 COPY 1:2 Archive
S: A006 OK [COPYUID ${auv} 1:2 1:2] COPY completed
C: A007 COPY 1 nosuch
S: A007 NO [TRYCREATE] Mailbox does not exist
C: A008 STATUS Archive (MESSAGES UNSEEN)
S: * STATUS Archive (MESSAGES 2 UNSEEN 1)
S: A008 OK STATUS completed
# RFC 4315 §2.1: only the given UIDs go, even if others are \Deleted.
C: A009 UID EXPUNGE 3
S: * 3 EXPUNGE
S: * 3 RECENT
S: A009 OK UID EXPUNGE completed
# RFC 3501 §6.4.3 example shape
C: A010 EXPUNGE
S: * 3 EXPUNGE
S: * 2 EXPUNGE
S: * 1 RECENT
S: A010 OK EXPUNGE completed
# RFC 6851 §4.3: COPYUID first, then the expunges.
C: A011 UID MOVE 1 Trash
S: * OK [COPYUID ${tuv} 1 1] Moved
S: * 1 EXPUNGE
S: * 0 RECENT
S: A011 OK MOVE completed
C: A012 STATUS Trash (MESSAGES)
S: * STATUS Trash (MESSAGES 1)
S: A012 OK STATUS completed
# Another session's flag change reaches this one as an untagged FETCH.
C: A013 SELECT Archive
S: * OK [CLOSED] Previous mailbox closed
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 2] Message 2 is first unseen
S: * OK [UIDVALIDITY ${auv}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms2}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: A013 OK [READ-WRITE] SELECT completed
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 LOGIN demo secret
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: b2 EXAMINE Archive
S2: * 2 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 2] Message 2 is first unseen
S2: * OK [UIDVALIDITY ${auv}] UIDs valid
S2: * OK [UIDNEXT 3] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms3}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S2: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S2: b2 OK [READ-ONLY] EXAMINE completed
C2: b3 STORE 1 +FLAGS (\Flagged)
S2: b3 NO [READ-ONLY] Mailbox is read-only
C: A014 STORE 2 +FLAGS.SILENT (\Flagged)
S: A014 OK STORE completed
C2: b4 NOOP
S2: * 2 FETCH (FLAGS (\Flagged \Deleted) UID 2)
S2: b4 OK NOOP completed
# RFC 7162 §3.1.3: a message changed since the given MODSEQ is left alone.
# RFC 7162 §3.1: "A first CONDSTORE enabling command executed in the
# session with a mailbox selected MUST cause the server to return
# HIGHESTMODSEQ (Section 3.1.2.1) for the mailbox".
C: A015 STORE 1:2 (UNCHANGEDSINCE 1) +FLAGS (\Answered)
S: * OK [HIGHESTMODSEQ 4] Highest
S: A015 OK [MODIFIED 1:2] Conditional STORE failed
