# RFC 5256 SORT and THREAD, RFC 5957 DISPLAYFROM/DISPLAYTO, RFC 5267 ESORT:
# five messages whose keys disagree (base subjects with Re:/Fwd:/[blob]/
# (fwd), a Date: in another zone and one missing, RFC 2047 display names,
# In-Reply-To chains and an unknown parent).
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX "02-Jan-2020 10:00:00 +0000" {175+}
C: From: Aaron Zed <zed@x.example>
C: To: bob@x.example
C: Subject: Re: lunch
C: Message-ID: <2@x.example>
C: In-Reply-To: <1@x.example>
C: Date: Thu, 2 Jan 2020 10:00:00 +0000
C: 
C: body 1
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
C: a2 APPEND INBOX "05-Jan-2020 10:00:00 +0000" {140+}
C: From: "amy" <amy@x.example>
C: To: carl@x.example
C: Subject: lunch
C: Message-ID: <1@x.example>
C: Date: Wed, 1 Jan 2020 12:00:00 +0200
C: 
C: body 2
C: 
S: a2 OK [APPENDUID ${uv} 2] APPEND completed
C: a3 APPEND INBOX "03-Jan-2020 10:00:00 +0000" {150+}
C: From: Bob <bob@x.example>
C: To: amy@x.example
C: Subject: [list] Other topic
C: Message-ID: <3@x.example>
C: Date: Fri, 3 Jan 2020 10:00:00 +0000
C: 
C: body 3
C: 
S: a3 OK [APPENDUID ${uv} 3] APPEND completed
C: a4 APPEND INBOX "01-Jan-2020 10:00:00 +0000" {192+}
C: From: =?utf-8?q?=C3=89lise?= <elise@x.example>
C: To: dave@x.example
C: Subject: Fwd: LUNCH
C: Message-ID: <4@x.example>
C: In-Reply-To: <2@x.example>
C: Date: Sat, 4 Jan 2020 10:00:00 +0000
C: 
C: body 4
C: 
S: a4 OK [APPENDUID ${uv} 4] APPEND completed
C: a5 APPEND INBOX "04-Jan-2020 10:00:00 +0000" {138+}
C: From: carl@x.example
C: To: amy@x.example
C: Subject: re: other topic (fwd)
C: Message-ID: <5@x.example>
C: In-Reply-To: <9@x.example>
C: 
C: body 5
C: 
S: a5 OK [APPENDUID ${uv} 5] APPEND completed
C: b0 EXAMINE INBOX
S: * 5 EXISTS
S: * 5 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 6] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: b0 OK [READ-ONLY] EXAMINE completed
# RFC 5256 §2.1: base subjects "lunch" (1, 2, 4) and "other topic" (3, 5);
# equal keys keep mailbox order.
C: b1 SORT (SUBJECT) UTF-8 ALL
S: * SORT 1 2 4 3 5
S: b1 OK SORT completed
# §2.2: the Date: in UTC (message 2 is 10:00Z), message 5 has none and
# sorts at its INTERNALDATE, equal to message 4's date; REVERSE leaves the
# mailbox-order tie-break alone.
C: b2 UID SORT (REVERSE DATE) UTF-8 ALL
S: * SORT 4 5 3 1 2
S: b2 OK UID SORT completed
C: b3 SORT (FROM) UTF-8 ALL
S: * SORT 2 3 5 4 1
S: b3 OK SORT completed
# RFC 5957: the display name (decoded), else the address.
C: b4 SORT (DISPLAYFROM) UTF-8 ALL
S: * SORT 1 2 3 5 4
S: b4 OK SORT completed
C: b5 SORT (TO REVERSE SIZE) UTF-8 ALL
S: * SORT 3 5 1 2 4
S: b5 OK SORT completed
C: b6 SORT (REVERSE ARRIVAL) UTF-8 ALL
S: * SORT 2 5 3 1 4
S: b6 OK SORT completed
C: b7 SORT (SIZE) UTF-8 NOT FROM zed
S: * SORT 5 2 3 4
S: b7 OK SORT completed
# RFC 5267 §3: ESORT; ALL in sorted order, ranges only where it runs up.
C: b8 SORT RETURN (MIN MAX ALL COUNT) (DATE) UTF-8 ALL
S: * ESEARCH (TAG "b8") MIN 2 MAX 5 ALL 2,1,3:5 COUNT 5
S: b8 OK SORT completed
C: b9 UID SORT RETURN (COUNT) (SUBJECT) UTF-8 FROM nobody
S: * ESEARCH (TAG "b9") UID COUNT 0
S: b9 OK UID SORT completed
C: c1 SORT (SIZE) X-NOSUCH ALL
S: c1 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset X-NOSUCH
C: c2 SORT (SIZE) ALL
S: c2 BAD SORT: expected a space
C: c3 SORT RETURN (PARTIAL 1:2) (SIZE) UTF-8 ALL
S: * ESEARCH (TAG "c3") PARTIAL (1:2 5,2)
S: c3 OK SORT completed
# RFC 5256 §3 ORDEREDSUBJECT: a thread per base subject, its earliest
# message the parent of the others.
C: c4 THREAD ORDEREDSUBJECT UTF-8 ALL
S: * THREAD (2 (1)(4))(3 5)
S: c4 OK THREAD completed
# REFERENCES: 2 <- 1 <- 4 by In-Reply-To; 5's parent is unknown (a dummy,
# pruned), and as a reply with the base subject of 3 it becomes 3's child.
C: c5 UID THREAD REFERENCES UTF-8 ALL
S: * THREAD (2 1 4)(3 5)
S: c5 OK UID THREAD completed
C: c6 THREAD REFERENCES UTF-8 FROM nobody
S: * THREAD
S: c6 OK THREAD completed
C: c7 THREAD NOSUCH UTF-8 ALL
S: c7 BAD Unsupported thread algorithm NOSUCH
# COPY and MOVE keep a message's sort keys (RFC 3501 §6.4.7: the copy is
# the same message): in another mailbox the copies sort and thread as the
# originals did, not as messages without keys.
C: d1 CREATE Copies
S: d1 OK CREATE completed
C: d2 COPY 1:5 Copies
S: d2 OK [COPYUID ${uv2} 1:5 1:5] COPY completed
C: d3 EXAMINE Copies
S: * OK [CLOSED] Previous mailbox closed
S: * 5 EXISTS
S: * 5 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv2}] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 6] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: d3 OK [READ-ONLY] EXAMINE completed
C: d4 SORT (SUBJECT) UTF-8 ALL
S: * SORT 1 2 4 3 5
S: d4 OK SORT completed
C: d5 SORT (DISPLAYFROM) UTF-8 ALL
S: * SORT 1 2 3 5 4
S: d5 OK SORT completed
C: d6 THREAD REFERENCES UTF-8 ALL
S: * THREAD (2 1 4)(3 5)
S: d6 OK THREAD completed
