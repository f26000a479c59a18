# RFC 4469 CATENATE: APPEND builds a message from TEXT literals and URLs
# of messages (or their parts) in the same account; the RFC §6 example
# (a draft's header and first part, a forwarded message, new text). A URL
# that does not resolve fails the whole APPEND with NO [BADURL url], a
# result over the size limit with NO [TOOBIG] (§5).
!option limits.max_literal_size=4096
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 CREATE Work
S: a1 OK CREATE completed
C: a2 APPEND Work {265+}
C: From: a@b.example
C: To: c@d.example
C: Subject: original
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary="b1"
C: 
C: --b1
C: Content-Type: text/plain
C: 
C: first part
C: --b1
C: Content-Type: application/octet-stream
C: Content-Transfer-Encoding: base64
C: 
C: AAEC
C: --b1--
C: 
S: a2 OK [APPENDUID ${uv} 1] APPEND completed
C: a3 APPEND Work {53+}
C: From: x@y.example
C: Subject: forwarded
C: 
C: forward me
C: 
S: a3 OK [APPENDUID ${uv} 2] APPEND completed
C: a4 APPEND Work (\Seen \Draft $MDNSent) CATENATE (URL "/Work;UIDVALIDITY=${uv}/;UID=1/;section=HEADER" TEXT {6+}
C: --b1
C:  URL "/Work;UIDVALIDITY=${uv}/;UID=1/;section=1.MIME" URL "/Work;UIDVALIDITY=${uv}/;UID=1/;section=1" TEXT {40+}
C: 
C: --b1
C: Content-Type: message/rfc822
C: 
C:  URL "imap://demo@localhost/Work/;UID=2" TEXT {10+}
C: 
C: --b1--
C: )
S: a4 OK [APPENDUID ${uv} 3] APPEND completed
C: a5 EXAMINE Work
S: * 3 EXISTS
S: * 3 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $MDNSent)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a5 OK [READ-ONLY] EXAMINE completed
C: a6 FETCH 3 (FLAGS RFC822.SIZE BODY[])
S: * 3 FETCH (FLAGS (\Seen \Draft $MDNSent \Recent) RFC822.SIZE 269 BODY[] {269}From: a@b.example\r\nTo: c@d.example\r\nSubject: original\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\nSubject: forwarded\r\n\r\nforward me\r\n\r\n--b1--\r\n)
S: a6 OK FETCH completed
# PARTIAL (RFC 5092 ipartial): octets 5 to 13 of message 2.
C: a7 APPEND Work CATENATE (URL "/Work/;UID=2/;PARTIAL=6.9" TEXT {2+}
C: 
C: )
S: * 4 EXISTS
S: * 4 RECENT
S: a7 OK [APPENDUID ${uv} 4] APPEND completed
C: a8 FETCH 4 BODY.PEEK[]
S: * 4 FETCH (BODY[] {11}x@y.examp\r\n)
S: a8 OK FETCH completed
# Every failure leaves the mailbox as it was (still 4 messages).
C: b1 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Work;UIDVALIDITY=1/;UID=1")
S: b1 NO [BADURL /Work;UIDVALIDITY=1/;UID=1] Bad URL: the UIDVALIDITY has changed
C: b2 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Work/;UID=99")
S: b2 NO [BADURL /Work/;UID=99] Bad URL: no such message
C: b3 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Nosuch/;UID=1")
S: b3 NO [BADURL /Nosuch/;UID=1] Bad URL: no such mailbox
C: b4 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "imap://demo@mail.example.org/Work/;UID=1")
S: b4 NO [BADURL imap://demo@mail.example.org/Work/;UID=1] Bad URL: not a URL of this server
C: b5 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "imap://other@localhost/Work/;UID=1")
S: b5 NO [BADURL imap://other@localhost/Work/;UID=1] Bad URL: another user's mail
C: b6 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Work/;UID=1/;SECTION=9")
S: b6 NO [BADURL /Work/;UID=1/;SECTION=9] Bad URL: the message has no such section
C: b7 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Work/;UID=1;URLAUTH=anonymous")
S: b7 NO [BADURL /Work/;UID=1;URLAUTH=anonymous] Bad URL: CATENATE takes no URLAUTH URL
C: b8 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Work")
S: b8 NO [BADURL /Work] Bad URL: it names no message
C: b9 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "http://localhost/Work/;UID=1")
S: b9 NO [BADURL http://localhost/Work/;UID=1] Bad URL: not an IMAP URL or absolute path
C: b10 APPEND Work CATENATE (TEXT {2+}
C: 
C:  URL "/Work/;UID=1/;SECTION=1.BOGUS")
S: b10 NO [BADURL /Work/;UID=1/;SECTION=1.BOGUS] Bad URL: not a section
# MULTIAPPEND: all or none, a bad URL in the second message fails both.
C: c1 APPEND Work {53+}
C: From: x@y.example
C: Subject: forwarded
C: 
C: forward me
C:  CATENATE (URL "/Work/;UID=77")
S: c1 NO [BADURL /Work/;UID=77] Bad URL: no such message
# TOOBIG: 16 copies of message 1 (265 octets each) are over limits.max_literal_size (4096).
C: c2 APPEND Work CATENATE (URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1" URL "/Work/;UID=1")
S: c2 NO [TOOBIG] The message would be too big
C: c3 NOOP
S: c3 OK NOOP completed
C: c4 LOGOUT
S: * BYE Lemonade logging out
S: c4 OK LOGOUT completed
