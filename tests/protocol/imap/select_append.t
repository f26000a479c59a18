# RFC 3501 §6.3.1 SELECT, §6.3.2 EXAMINE, §6.3.10 STATUS, §6.3.11 APPEND,
# §6.4.1 CHECK, §6.4.2 CLOSE; RFC 3502 MULTIAPPEND; RFC 4315 APPENDUID;
# RFC 3691 UNSELECT; RFC 7888 LITERAL+.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms1}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a1 OK [READ-WRITE] SELECT completed
# RFC 3501 §6.3.11 example (synchronizing literal), while INBOX is selected:
# the new message is announced before the tagged OK.
C: A003 APPEND INBOX (\Seen) "07-Feb-1994 21:52:25 -0800" {45}
S: + Ready for literal data
C: Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)
C: 
S: * 1 EXISTS
S: * 1 RECENT
S: A003 OK [APPENDUID ${uv} 1] APPEND completed
# RFC 3502 §6 MULTIAPPEND with non-synchronizing literals (RFC 7888).
C: A004 APPEND INBOX (\Flagged $Forwarded) {12+}
C: Subject: a
C:  {12+}
C: Subject: b
C: 
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: * 3 EXISTS
S: * 3 RECENT
S: A004 OK [APPENDUID ${uv} 2:3] APPEND completed
C: A005 APPEND nosuch {12+}
C: Subject: c
C: 
S: A005 NO [TRYCREATE] Mailbox does not exist
C: A006 APPEND INBOX (\Recent) {12+}
C: Subject: c
C: 
S: A006 BAD Invalid system flag \Recent
C: A007 APPEND INBOX {0+}
C: 
S: A007 NO [CANNOT] Cannot append an empty message
C: A008 APPEND INBOX "31-Feb-1994 21:52:25 -0800" {12+}
C: Subject: c
C: 
S: A008 BAD APPEND: bad date-time
# RFC 3501 §6.3.10 example. On the selected mailbox RECENT counts the
# messages recent to this session ("The number of messages with the
# \Recent flag set"), as its * 3 RECENT said.
C: A042 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)
S: * STATUS INBOX (MESSAGES 3 UNSEEN 2 UIDNEXT 4 UIDVALIDITY ${uv} RECENT 3)
S: A042 OK STATUS completed
C: A043 STATUS nosuch (MESSAGES)
S: A043 NO [NONEXISTENT] Mailbox does not exist
C: A044 STATUS INBOX (BOGUS)
S: A044 BAD STATUS: unknown status item BOGUS
C: A045 CHECK
S: A045 OK CHECK completed
# EXAMINE claims no \Recent and offers no permanent flags.
C: A046 EXAMINE INBOX
S: * OK [CLOSED] Previous mailbox closed
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 2] Message 2 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms2}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: A046 OK [READ-ONLY] EXAMINE completed
C: A047 UNSELECT
S: A047 OK UNSELECT completed
C: A048 CLOSE
S: A048 BAD CLOSE is not allowed in this state
# CLOSE removes \Deleted messages silently (§6.4.2).
C: A049 APPEND INBOX (\Deleted) {12+}
C: Subject: d
C: 
S: A049 OK [APPENDUID ${uv} 4] APPEND completed
C: A050 SELECT INBOX
S: * 4 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 2] Message 2 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms3}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: A050 OK [READ-WRITE] SELECT completed
C: A051 CLOSE
S: A051 OK CLOSE completed
C: A052 STATUS INBOX (MESSAGES UIDNEXT)
S: * STATUS INBOX (MESSAGES 3 UIDNEXT 5)
S: A052 OK STATUS completed
C: A053 SELECT nosuch
S: A053 NO [NONEXISTENT] Mailbox does not exist
