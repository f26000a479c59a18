# RFC 9394 PARTIAL: SEARCH/UID SEARCH/SORT RETURN (PARTIAL range) with
# ranges from the first result (a:b) or the last (-a:-b), the range echoed
# as written (§3.1: "the original range"), NIL beyond the results; SAVE
# with PARTIAL (§3.2, Table 1); the FETCH modifier (§3.3), alone and with
# CHANGEDSINCE (§3.4: the window first, then the MODSEQ filter). Eight
# messages, UID 3 expunged: UIDs 1 2 4 5 6 7 8 at sequence numbers 1..7.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {15+}
C: Subject: m1
C: 
C:  {15+}
C: Subject: m2
C: 
C:  {15+}
C: Subject: m3
C: 
C:  {15+}
C: Subject: m4
C: 
C:  {15+}
C: Subject: m5
C: 
C:  {15+}
C: Subject: m6
C: 
C:  {15+}
C: Subject: m7
C: 
C:  {15+}
C: Subject: m8
C: 
C: 
S: a1 OK [APPENDUID ${uv} 1:8] APPEND completed
C: a2 SELECT INBOX
S: * 8 EXISTS
S: * 8 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 9] Predicted next UID
S: * OK [HIGHESTMODSEQ 9] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
C: a3 UID STORE 3 +FLAGS.SILENT (\Deleted)
S: a3 OK UID STORE completed
C: a4 EXPUNGE
S: * 3 EXPUNGE
S: * 7 RECENT
S: a4 OK EXPUNGE completed
# §3.1: "-1 is the last message, -2 is next to the last, and so on".
C: b1 UID SEARCH RETURN (PARTIAL -1:-3) ALL
S: * ESEARCH (TAG "b1") UID PARTIAL (-1:-3 6:8)
S: b1 OK UID SEARCH completed
C: b2 SEARCH RETURN (PARTIAL 2:4) ALL
S: * ESEARCH (TAG "b2") PARTIAL (2:4 2:4)
S: b2 OK SEARCH completed
# "A range 500:400 is the same as 400:500"; returned as written.
C: b3 UID SEARCH RETURN (PARTIAL 5:2) ALL
S: * ESEARCH (TAG "b3") UID PARTIAL (5:2 2,4:6)
S: b3 OK UID SEARCH completed
# "the server returns the results that are in the set", "If the whole
# range references results that do not exist, a special value "NIL"".
C: b4 UID SEARCH RETURN (PARTIAL 6:10) ALL
S: * ESEARCH (TAG "b4") UID PARTIAL (6:10 7:8)
S: b4 OK UID SEARCH completed
C: b5 UID SEARCH RETURN (PARTIAL 8:20) ALL
S: * ESEARCH (TAG "b5") UID PARTIAL (8:20 NIL)
S: b5 OK UID SEARCH completed
C: b6 UID SEARCH RETURN (PARTIAL -100:-7) ALL
S: * ESEARCH (TAG "b6") UID PARTIAL (-100:-7 1)
S: b6 OK UID SEARCH completed
C: b7 UID SEARCH RETURN (MIN MAX COUNT PARTIAL -1:-2) ALL
S: * ESEARCH (TAG "b7") UID MIN 1 MAX 8 COUNT 7 PARTIAL (-1:-2 7:8)
S: b7 OK UID SEARCH completed
C: b8 UID SEARCH RETURN (PARTIAL 1:2) UNSEEN NOT UID 1:4
S: * ESEARCH (TAG "b8") UID PARTIAL (1:2 5:6)
S: b8 OK UID SEARCH completed
# "either one PARTIAL, one ALL, or neither PARTIAL nor ALL is allowed";
# the ABNF has no mixed signs, no 0 and no "*".
C: b9 UID SEARCH RETURN (ALL PARTIAL 1:2) ALL
S: b9 BAD UID SEARCH: PARTIAL and ALL together
C: b10 SEARCH RETURN (PARTIAL -1:2) ALL
S: b10 BAD SEARCH: expected '-'
C: b11 SEARCH RETURN (PARTIAL 0:2) ALL
S: b11 BAD SEARCH: expected a non-zero number
# §3.2 Table 1: SAVE PARTIAL keeps the PARTIAL results; SAVE PARTIAL MIN
# the PARTIAL results and MIN; with COUNT, every message found.
C: c1 UID SEARCH RETURN (SAVE PARTIAL -1:-2) ALL
S: * ESEARCH (TAG "c1") UID PARTIAL (-1:-2 7:8)
S: c1 OK UID SEARCH completed
C: c2 UID SEARCH RETURN (ALL) $
S: * ESEARCH (TAG "c2") UID ALL 7:8
S: c2 OK UID SEARCH completed
C: c3 UID SEARCH RETURN (SAVE MIN PARTIAL -1:-1) ALL
S: * ESEARCH (TAG "c3") UID MIN 1 PARTIAL (-1:-1 8)
S: c3 OK UID SEARCH completed
C: c4 UID SEARCH RETURN (ALL) $
S: * ESEARCH (TAG "c4") UID ALL 1,8
S: c4 OK UID SEARCH completed
C: c5 UID SEARCH RETURN (SAVE COUNT PARTIAL 1:1) ALL
S: * ESEARCH (TAG "c5") UID COUNT 7 PARTIAL (1:1 1)
S: c5 OK UID SEARCH completed
C: c6 UID SEARCH RETURN (COUNT) $
S: * ESEARCH (TAG "c6") UID COUNT 7
S: c6 OK UID SEARCH completed
# §3.3: UID FETCH with the PARTIAL modifier: only the messages at those
# positions among the ones the set names.
C: d1 UID FETCH 1:* (UID FLAGS) (PARTIAL -1:-3)
S: * 5 FETCH (UID 6 FLAGS (\Recent))
S: * 6 FETCH (UID 7 FLAGS (\Recent))
S: * 7 FETCH (UID 8 FLAGS (\Recent))
S: d1 OK UID FETCH completed
C: d2 UID FETCH 2:7 (FLAGS) (PARTIAL 1:2)
S: * 2 FETCH (UID 2 FLAGS (\Recent))
S: * 3 FETCH (UID 4 FLAGS (\Recent))
S: d2 OK UID FETCH completed
C: d3 UID FETCH 1:* (FLAGS) (PARTIAL 20:30)
S: d3 OK UID FETCH completed
# §3.4: "first select the last 30 messages and then only return flag
# changes for a subset of those that have MODSEQ higher than" the one
# given: UID 1 changed too, but is not among the last three.
C: d4 UID STORE 1,7 +FLAGS.SILENT (\Flagged)
S: d4 OK UID STORE completed
C: d5 UID FETCH 1:* (FLAGS) (PARTIAL -1:-3 CHANGEDSINCE 10)
S: * 6 FETCH (UID 7 FLAGS (\Flagged \Recent) MODSEQ (${m}))
S: * OK [HIGHESTMODSEQ ${m}] Highest
S: d5 OK UID FETCH completed
C: d6 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 10 PARTIAL -3:-1)
S: * 6 FETCH (UID 7 FLAGS (\Flagged \Recent) MODSEQ (${m}))
S: d6 OK UID FETCH completed
C: d7 FETCH 1:* (FLAGS) (PARTIAL 1:1)
S: * 1 FETCH (FLAGS (\Flagged \Recent))
S: d7 OK FETCH completed
# RFC 5267 §4.4 as RFC 9394 extends it: a SORT's PARTIAL counts in sorted
# order.
C: e1 UID SORT RETURN (PARTIAL -1:-2) (REVERSE SUBJECT) UTF-8 ALL
S: * ESEARCH (TAG "e1") UID PARTIAL (-1:-2 2,1)
S: e1 OK UID SORT completed
