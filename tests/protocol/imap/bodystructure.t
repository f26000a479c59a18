# RFC 3501 §6.4.5 / §7.4.2 BODYSTRUCTURE, BODY, ENVELOPE and part sections of
# nested multiparts and message/rfc822 (the part layout of the RFC 3501
# §6.4.5 example), and of malformed mail described as well as it can be.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {1226+}
C: From: Ann <ann@example.com>
C: To: Bob <bob@example.com>
C: Subject: nested
C: Date: Mon, 7 Feb 1994 21:52:25 -0800
C: Message-ID: <nested@example.com>
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary="outer"
C: 
C: --outer
C: Content-Type: text/plain; charset=us-ascii
C: 
C: part one
C: --outer
C: Content-Type: application/octet-stream
C: Content-Transfer-Encoding: base64
C: Content-Disposition: attachment; filename="a.bin"
C: 
C: AAEC
C: --outer
C: Content-Type: message/rfc822
C: 
C: From: Cy <cy@example.com>
C: Subject: three
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary="m3"
C: 
C: --m3
C: Content-Type: text/plain
C: 
C: three one
C: --m3
C: Content-Type: application/octet-stream
C: 
C: xyz
C: --m3--
C: --outer
C: Content-Type: multipart/mixed; boundary="m4"
C: 
C: --m4
C: Content-Type: image/gif
C: Content-ID: <gif@example.com>
C: Content-Transfer-Encoding: base64
C: 
C: R0lGODlh
C: --m4
C: Content-Type: message/rfc822
C: 
C: From: Di <di@example.com>
C: Subject: four two
C: Content-Type: multipart/mixed; boundary="m42"
C: 
C: --m42
C: Content-Type: text/plain
C: 
C: four two one
C: --m42
C: Content-Type: multipart/alternative; boundary="alt"
C: 
C: --alt
C: Content-Type: text/plain
C: 
C: plain
C: --alt
C: Content-Type: text/richtext
C: 
C: <bold>rich</bold>
C: --alt--
C: --m42--
C: --m4--
C: --outer--
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
C: a2 APPEND INBOX {417+}
C: From: =?utf-8?q?Ren=C3=A9?= <rene@example.com>
C: Subject: café
C: Content-Type: multipart/mixed; boundary=zz
C: 
C: --zz
C: Content-Type: text/plain; charset=utf-8
C: Content-Transfer-Encoding: base64
C: Content-Language: en, de
C: Content-Location: http://example.com/
C:  a.txt
C: 
C: !!!not base64@@@
C: --zz
C: Content-Type: text/html
C: Content-Disposition: attachment; filename*0*=utf-8''%E2%82%AC; filename*1=".txt"
C: 
C: <p>unterminated
C: 
S: a2 OK [APPENDUID ${uv} 2] APPEND completed
C: a3 APPEND INBOX {66+}
C: Subject: no boundary
C: Content-Type: multipart/mixed
C: 
C: --x
C: text
C: 
S: a3 OK [APPENDUID ${uv} 3] APPEND completed
C: a4 APPEND INBOX {98+}
C: Subject: boundary never used
C: Content-Type: multipart/alternative; boundary=nothere
C: 
C: just text
C: 
S: a4 OK [APPENDUID ${uv} 4] APPEND completed
C: a5 APPEND INBOX {217+}
C: Subject: digest
C: Content-Type: multipart/digest; boundary=d
C: 
C: --d
C: 
C: From: a@b
C: Subject: in digest
C: 
C: digest body
C: --d
C: Content-Type: message/rfc822
C: Content-Transfer-Encoding: base64
C: 
C: RnJvbTogYUBiDQoNCmhp
C: --d--
C: 
S: a5 OK [APPENDUID ${uv} 5] APPEND completed
C: b1 EXAMINE INBOX
S: * 5 EXISTS
S: * 5 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms1}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: b1 OK [READ-ONLY] EXAMINE completed
C: b2 FETCH 1:5 BODYSTRUCTURE
S: * 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 8 1 NIL NIL NIL NIL)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 4 NIL ("ATTACHMENT" ("FILENAME" "a.bin")) NIL NIL)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 214 (NIL "three" (("Cy" NIL "cy" "example.com")) (("Cy" NIL "cy" "example.com")) (("Cy" NIL "cy" "example.com")) NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 9 1 NIL NIL NIL NIL)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "7BIT" 3 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "m3") NIL NIL NIL) 14 NIL NIL NIL NIL)(("IMAGE" "GIF" NIL "<gif@example.com>" NIL "BASE64" 8 NIL NIL NIL NIL)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 321 (NIL "four two" (("Di" NIL "di" "example.com")) (("Di" NIL "di" "example.com")) (("Di" NIL "di" "example.com")) NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL)(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)("TEXT" "RICHTEXT" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 17 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "alt") NIL NIL NIL) "MIXED" ("BOUNDARY" "m42") NIL NIL NIL) 21 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "m4") NIL NIL NIL) "MIXED" ("BOUNDARY" "outer") NIL NIL NIL))
S: * 2 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "BASE64" 16 1 NIL NIL ("en" "de") "http://example.com/a.txt")("TEXT" "HTML" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 17 1 NIL ("ATTACHMENT" ("FILENAME*" "utf-8''%E2%82%AC.txt")) NIL NIL) "MIXED" ("BOUNDARY" "zz") NIL NIL NIL))
S: * 3 FETCH (BODYSTRUCTURE ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "7BIT" 11 NIL NIL NIL NIL))
S: * 4 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "nothere") NIL NIL NIL))
S: * 5 FETCH (BODYSTRUCTURE (("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 44 (NIL "in digest" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 20 NIL NIL NIL NIL) "DIGEST" ("BOUNDARY" "d") NIL NIL NIL))
S: b2 OK FETCH completed
C: b3 FETCH 1 (BODY ENVELOPE)
S: * 1 FETCH (BODY (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 8 1)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 4)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 214 (NIL "three" (("Cy" NIL "cy" "example.com")) (("Cy" NIL "cy" "example.com")) (("Cy" NIL "cy" "example.com")) NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 9 1)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "7BIT" 3) "MIXED") 14)(("IMAGE" "GIF" NIL "<gif@example.com>" NIL "BASE64" 8)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 321 (NIL "four two" (("Di" NIL "di" "example.com")) (("Di" NIL "di" "example.com")) (("Di" NIL "di" "example.com")) NIL NIL NIL NIL NIL) (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 1)(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1)("TEXT" "RICHTEXT" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 17 1) "ALTERNATIVE") "MIXED") 21) "MIXED") "MIXED") ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "nested" (("Ann" NIL "ann" "example.com")) (("Ann" NIL "ann" "example.com")) (("Ann" NIL "ann" "example.com")) (("Bob" NIL "bob" "example.com")) NIL NIL NIL "<nested@example.com>"))
S: b3 OK FETCH completed
C: b4 FETCH 1 (BODY[1] BODY[2] BODY[3.1] BODY[3.2] BODY[4.1] BODY[4.2.1] BODY[4.2.2.1] BODY[4.2.2.2])
S: * 1 FETCH (BODY[1] {8}part one BODY[2] {4}AAEC BODY[3.1] {9}three one BODY[3.2] {3}xyz BODY[4.1] {8}R0lGODlh BODY[4.2.1] {12}four two one BODY[4.2.2.1] {5}plain BODY[4.2.2.2] {17}<bold>rich</bold>)
S: b4 OK FETCH completed
C: b5 FETCH 1 (BODY[3.HEADER] BODY[4.1.MIME] BODY[4.2.HEADER.FIELDS (subject)] BODY[4.2.2.MIME])
S: * 1 FETCH (BODY[3.HEADER] {110}From: Cy <cy@example.com>\r\nSubject: three\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m3"\r\n\r\n BODY[4.1.MIME] {93}Content-Type: image/gif\r\nContent-ID: <gif@example.com>\r\nContent-Transfer-Encoding: base64\r\n\r\n BODY[4.2.HEADER.FIELDS (subject)] {21}Subject: four two\r\n\r\n BODY[4.2.2.MIME] {55}Content-Type: multipart/alternative; boundary="alt"\r\n\r\n)
S: b5 OK FETCH completed
C: b6 FETCH 1 (BODY[3.TEXT])
S: * 1 FETCH (BODY[3.TEXT] {104}--m3\r\nContent-Type: text/plain\r\n\r\nthree one\r\n--m3\r\nContent-Type: application/octet-stream\r\n\r\nxyz\r\n--m3--)
S: b6 OK FETCH completed
C: b7 FETCH 1 (BODY[5] BODY[1.1] BODY[2.HEADER] BODY[4.3] BODY[1.MIME]<0.12>)
S: * 1 FETCH (BODY[5] NIL BODY[1.1] NIL BODY[2.HEADER] NIL BODY[4.3] NIL BODY[1.MIME]<0> {12}Content-Type)
S: b7 OK FETCH completed
C: b8 FETCH 2:5 (ENVELOPE BODY[1] BODY[2])
S: * 2 FETCH (ENVELOPE (NIL {5}café (("=?utf-8?q?Ren=C3=A9?=" NIL "rene" "example.com")) (("=?utf-8?q?Ren=C3=A9?=" NIL "rene" "example.com")) (("=?utf-8?q?Ren=C3=A9?=" NIL "rene" "example.com")) NIL NIL NIL NIL NIL) BODY[1] {16}!!!not base64@@@ BODY[2] {17}<p>unterminated\r\n)
S: * 3 FETCH (ENVELOPE (NIL "no boundary" NIL NIL NIL NIL NIL NIL NIL NIL) BODY[1] {11}--x\r\ntext\r\n BODY[2] NIL)
S: * 4 FETCH (ENVELOPE (NIL "boundary never used" NIL NIL NIL NIL NIL NIL NIL NIL) BODY[1] {11}just text\r\n BODY[2] NIL)
S: * 5 FETCH (ENVELOPE (NIL "digest" NIL NIL NIL NIL NIL NIL NIL NIL) BODY[1] {44}From: a@b\r\nSubject: in digest\r\n\r\ndigest body BODY[2] {20}RnJvbTogYUBiDQoNCmhp)
S: b8 OK FETCH completed
C: b9 FETCH 5 (BODY[1.HEADER] BODY[1.TEXT] BODY[2.MIME])
S: * 5 FETCH (BODY[1.HEADER] {33}From: a@b\r\nSubject: in digest\r\n\r\n BODY[1.TEXT] {11}digest body BODY[2.MIME] {67}Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n)
S: b9 OK FETCH completed
C: b10 LOGOUT
S: * BYE Lemonade logging out
S: b10 OK LOGOUT completed

