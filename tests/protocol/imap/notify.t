# RFC 5465 NOTIFY: events reach a session while it is silent between
# commands (and in IDLE): for the selected mailbox EXISTS with the FETCH the
# client asked for, FETCH of flag changes, EXPUNGE (held back until a command
# with SELECTED-DELAYED); for other mailboxes STATUS; MailboxName and
# SubscriptionChange as LIST; NOTIFY SET STATUS; the BAD and NO [BADEVENT]
# rules; NOTIFY NONE; [NOTIFICATIONOVERFLOW] when a session falls behind
# (the queue is 3 here).
!option imap.notify_queue_limit=3
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 CREATE Lists
S: a1 OK CREATE completed
C: a2 SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ 1] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
# §5: the composition rules are BAD; unsupported events NO [BADEVENT].
C: a3 NOTIFY SET (SELECTED (MessageNew))
S: a3 BAD NOTIFY: MessageNew and MessageExpunge must be given together
C: a4 NOTIFY SET (PERSONAL (FlagChange))
S: a4 BAD NOTIFY: FlagChange needs MessageNew and MessageExpunge
C: a5 NOTIFY SET (SELECTED (MessageNew MessageExpunge MailboxName))
S: a5 BAD NOTIFY: only message events are allowed with SELECTED
C: a6 NOTIFY SET (PERSONAL (MessageNew (UID) MessageExpunge))
S: a6 BAD NOTIFY: MessageNew fetch attributes are only allowed with SELECTED
C: a7 NOTIFY SET (SELECTED NONE) (SELECTED-DELAYED NONE)
S: a7 BAD NOTIFY: SELECTED or SELECTED-DELAYED may be given once
C: a8 NOTIFY SET (INBOXES (MessageNew MessageExpunge AnnotationChange))
S: a8 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)] Unsupported event ANNOTATIONCHANGE
C: a9 NOTIFY SET (PERSONAL (XVendorEvent))
S: a9 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)] Unsupported event XVENDOREVENT
C: b0 NOTIFY GET
S: b0 BAD NOTIFY: expected SET or NONE
# §3.1: with STATUS, the state of every other watched mailbox first.
C: b1 NOTIFY SET STATUS (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange)) (SUBTREE Lists (MessageNew MessageExpunge)) (PERSONAL (MailboxName SubscriptionChange))
S: * STATUS Lists (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ${uvl} UNSEEN 0)
S: b1 OK NOTIFY completed
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: c0 LOGIN demo secret
S2: c0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# §5.2: a new message in the selected mailbox: EXISTS, then the FETCH asked
# for, with no command from the client.
C2: c1 APPEND INBOX {10+}
C2: Subject: x
S2: c1 OK [APPENDUID ${uv} 1] APPEND completed
S: * 1 EXISTS
S: * 1 RECENT
S: * 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {10}Subject: x)
# In another watched mailbox: STATUS.
C2: c2 APPEND Lists {10+}
C2: Subject: y
S2: c2 OK [APPENDUID ${uvl} 1] APPEND completed
S: * STATUS Lists (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ${uvl} UNSEEN 1)
# Not watched for message events (PERSONAL asked for mailbox events only).
C2: c3 APPEND Archive {10+}
C2: Subject: z
S2: c3 OK [APPENDUID ${uva} 1] APPEND completed
# §5.1 FlagChange and §5.3 MessageExpunge in the selected mailbox.
C2: c4 SELECT INBOX
S2: * 1 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 2] Predicted next UID
S2: * OK [HIGHESTMODSEQ 2] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: c4 OK [READ-WRITE] SELECT completed
C2: c5 STORE 1 +FLAGS (\Seen)
S2: * 1 FETCH (FLAGS (\Seen))
S2: c5 OK STORE completed
S: * 1 FETCH (FLAGS (\Seen \Recent) UID 1)
C2: c6 STORE 1 +FLAGS.SILENT (\Deleted)
S2: c6 OK STORE completed
S: * 1 FETCH (FLAGS (\Deleted \Seen \Recent) UID 1)
C2: c7 EXPUNGE
S2: * 1 EXPUNGE
S2: c7 OK EXPUNGE completed
S: * 1 EXPUNGE
S: * 0 RECENT
# §5.4 MailboxName and §5.5 SubscriptionChange as LIST responses.
C2: c8 CREATE Foo
S2: c8 OK CREATE completed
S: * LIST () "/" Foo
C2: c9 RENAME Foo Bar
S2: c9 OK RENAME completed
S: * LIST () "/" Bar ("OLDNAME" (Foo))
C2: d0 SUBSCRIBE Bar
S2: d0 OK SUBSCRIBE completed
S: * LIST (\Subscribed) "/" Bar
C2: d1 UNSUBSCRIBE Bar
S2: d1 OK UNSUBSCRIBE completed
S: * LIST () "/" Bar
C2: d2 DELETE Bar
S2: d2 OK DELETE completed
S: * LIST (\NonExistent) "/" Bar
# §4: the same events during IDLE.
C: b2 IDLE
S: + idling
C2: d3 APPEND Lists {10+}
C2: Subject: w
S2: d3 OK [APPENDUID ${uvl} 2] APPEND completed
S: * STATUS Lists (MESSAGES 2 UIDNEXT 3 UIDVALIDITY ${uvl} UNSEEN 2)
C: DONE
S: b2 OK IDLE terminated
# §6.1.2 SELECTED-DELAYED: new messages and flag changes at once, expunges
# only with a command that may carry them.
C: b3 NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge FlagChange))
S: b3 OK NOTIFY completed
C2: d3b UNSELECT
S2: d3b OK UNSELECT completed
C2: d4 APPEND INBOX {10+}
C2: Subject: v
S2: d4 OK [APPENDUID ${uv} 2] APPEND completed
S: * 1 EXISTS
S: * 1 RECENT
C2: d4b SELECT INBOX
S2: * 1 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 3] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hm}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: d4b OK [READ-WRITE] SELECT completed
C2: d5 STORE 1 +FLAGS.SILENT (\Deleted)
S2: d5 OK STORE completed
S: * 1 FETCH (FLAGS (\Deleted \Recent) UID 2)
C2: d6 EXPUNGE
S2: * 1 EXPUNGE
S2: d6 OK EXPUNGE completed
C: b4 NOOP
S: * 1 EXPUNGE
S: * 0 RECENT
S: b4 OK NOOP completed
# §5.8: a change bigger than the queue: NOTIFICATIONOVERFLOW, then NOTIFY
# is off (as after NOTIFY NONE).
C: b5 NOTIFY SET (PERSONAL (MessageNew MessageExpunge))
S: b5 OK NOTIFY completed
C2: d7 APPEND Lists {12+}
C2: Subject: 1
C2:  {12+}
C2: Subject: 2
C2:  {12+}
C2: Subject: 3
C2:  {12+}
C2: Subject: 4
C2: 
S2: d7 OK [APPENDUID ${uvl} 3:6] APPEND completed
S: * OK [NOTIFICATIONOVERFLOW] Too many events; notifications are off
C2: d8 APPEND Lists {10+}
C2: Subject: 5
S2: d8 OK [APPENDUID ${uvl} 7] APPEND completed
C: b6 NOOP
S: b6 OK NOOP completed
# NOTIFY NONE: back to RFC 3501's rules (changes reported with commands).
C: b7 NOTIFY SET (SELECTED (MessageNew MessageExpunge))
S: b7 OK NOTIFY completed
C: b8 NOTIFY NONE
S: b8 OK NOTIFY completed
C2: d9 APPEND INBOX {10+}
C2: Subject: u
S2: * 1 EXISTS
S2: * 1 RECENT
S2: d9 OK [APPENDUID ${uv} 3] APPEND completed
C: b9 NOOP
S: * 1 EXISTS
S: * 0 RECENT
S: b9 OK NOOP completed
C: e0 LOGOUT
S: * BYE Lemonade logging out
S: e0 OK LOGOUT completed
!closed 1
# RFC 5465 §3.1: "If either AnnotationChange or FlagChange are included and
# the server also supports the CONDSTORE [RFC4551] and/or QRESYNC [RFC5162]
# extensions, the STATUS response MUST contain UIDVALIDITY and
# HIGHESTMODSEQ" — whether or not the client enabled CONDSTORE.
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: f0 LOGIN demo secret
S3: f0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C3: f1 NOTIFY SET STATUS (MAILBOXES Archive (MessageNew MessageExpunge FlagChange))
S3: * STATUS Archive (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ${uva} UNSEEN 1 HIGHESTMODSEQ ${hmsa})
S3: f1 OK NOTIFY completed
C3: f2 NOTIFY SET STATUS (MAILBOXES Archive (MessageNew MessageExpunge))
S3: * STATUS Archive (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ${uva} UNSEEN 1)
S3: f2 OK NOTIFY completed
