# RFC 5259 CONVERT: CONVERSIONS (§5), CONVERT and UID CONVERT (§6, §8)
# with the RFC's examples adapted to one message: part 1 text/plain in
# ISO-8859-1 (quoted-printable), part 2 text/html, part 3 a 40x20 PNG.
!option imap.convert_max_messages=1
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {712+}
C: From: Peter <peter@siroe.example.com>
C: To: Alexey <alexey@siroe.example.com>
C: Subject: =?ISO-8859-1?Q?caf=E9?= au lait
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary=b1
C: 
C: --b1
C: Content-Type: text/plain; charset=iso-8859-1
C: Content-Transfer-Encoding: quoted-printable
C: 
C: Caf=E9 cr=E8me
C: --b1
C: Content-Type: text/html; charset=utf-8
C: 
C: <html><body><p>Hello <b>world</b></p><ul><li>one</li><li>two</li></ul><p><a href="https://example.com/">site</a></p></body></html>
C: --b1
C: Content-Type: image/png
C: Content-Transfer-Encoding: base64
C: 
C: iVBORw0KGgoAAAANSUhEUgAAACgAAAAUCAIAAABwJOjsAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAA
C: IklEQVRIiWM4MUCAYdTiUYtHLR61eNTiUYtHLR61eORYDABe1FNq3lb0QAAAAABJRU5ErkJggg==
C: --b1--
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
C: a2 SELECT INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ 2] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
# §5.1 CONVERSIONS; §7.1: 'CONVERSIONS "text/plain" "text/plain"' "MUST
# also return "charset" and "unknown-character-replacement"".
C: b1 CONVERSIONS "text/plain" "text/plain"
S: * CONVERSION "text/plain" "text/plain" ("charset" "unknown-character-replacement")
S: b1 OK CONVERSIONS completed
C: b2 CONVERSIONS "image/png" "*"
S: * CONVERSION "image/png" "image/jpeg" ("pix-x" "pix-y")
S: * CONVERSION "image/png" "image/png" ("pix-x" "pix-y")
S: * CONVERSION "image/png" "image/webp" ("pix-x" "pix-y")
S: b2 OK CONVERSIONS completed
# "If source/target doesn't match any conversion supported by the server,
# no CONVERSION response is returned."
C: b3 CONVERSIONS "image/*" "text/*"
S: b3 OK CONVERSIONS completed
# mime-type-req: '*', 'type/*' or 'type/subtype'.
C: b4 CONVERSIONS "image" "*"
S: b4 BAD CONVERSIONS: invalid media type image
# §7.1: iso-8859-1 (here quoted-printable) to utf-8.
C: c1 CONVERT 1 ("text/plain" ("charset" "utf-8")) BINARY[1]
S: * 1 CONVERTED (TAG "c1") (BINARY[1] {12}Café crème)
S: c1 OK CONVERT completed
# §6 example b001: a character the target charset lacks fails the
# conversion with an ERROR phrase in place of the data...
C: b001 CONVERT 1 ("text/plain" ("charset" "us-ascii")) BINARY[1]
S: * 1 CONVERTED (TAG "b001") (BINARY[1] (ERROR "Source text has characters us-ascii cannot hold" BADPARAMETERS "text/plain" "text/plain" ("charset" "us-ascii")))
S: b001 NO All conversions failed
# ... unless "unknown-character-replacement" is given (§12.1). BINARY.SIZE
# is the size of that same conversion (§8.3).
C: b002 CONVERT 1 ("text/plain" ("charset" "us-ascii" "unknown-character-replacement" "?")) (BINARY[1] BINARY.SIZE[1])
S: * 1 CONVERTED (TAG "b002") (BINARY[1] {10}Caf? cr?me BINARY.SIZE[1] 10)
S: b002 OK CONVERT completed
# §9 example b003: "CHARSET must be specified for text conversions".
C: b003 CONVERT 1 ("TEXT/PLAIN") BINARY[1]
S: * 1 CONVERTED (TAG "b003") (BINARY[1] (ERROR "CHARSET must be specified for text conversions" MISSINGPARAMETERS "text/plain" "text/plain" ("charset")))
S: b003 NO All conversions failed
# §7.2: HTML to text keeping its structure (format=flowed, RFC 3676);
# BODYPARTSTRUCTURE first when asked first (§8.2), matching the data.
C: c2 CONVERT 1 ("text/plain" ("charset" "utf-8")) (BODYPARTSTRUCTURE[2] BINARY[2])
S: * 1 CONVERTED (TAG "c2") (BODYPARTSTRUCTURE[2] ("TEXT" "PLAIN" ("CHARSET" "UTF-8" "FORMAT" "flowed") NIL NIL "7BIT" 60 6) BINARY[2] {60}Hello world\r\n\r\n- one\r\n- two\r\n\r\nsite <https://example.com/>\r\n)
S: c2 OK CONVERT completed
# §6 examples c000/c001: the converted size, then a range of the
# converted data (<partial> "refer to the TRANSCODED and DECODED section
# data").
C: c000 CONVERT 1 ("text/plain" ("charset" "utf-8")) BINARY.SIZE[2]
S: * 1 CONVERTED (TAG "c000") (BINARY.SIZE[2] 60)
S: c000 OK CONVERT completed
C: c001 CONVERT 1 ("text/plain" ("charset" "utf-8")) BINARY[2]<6.7>
S: * 1 CONVERTED (TAG "c001") (BINARY[2]<6> {7}world\r\n)
S: c001 OK CONVERT completed
# §7 example e001 (PIX-X/PIX-Y, UID CONVERT reports the UID first, §6,
# §8.1) and §8.2: BODYPARTSTRUCTURE and BINARY.SIZE of one conversion
# agree. Image octets are checked by tests/clients/test_convert.py.
C: e001 UID CONVERT 1 ("IMAGE/JPEG" ("PIX-X" "16" "PIX-Y" "16")) (BODYPARTSTRUCTURE[3] BINARY.SIZE[3])
S: * 1 CONVERTED (TAG "e001") (UID 1 BODYPARTSTRUCTURE[3] ("IMAGE" "JPEG" NIL NIL NIL "BINARY" ${jpeg}) BINARY.SIZE[3] ${jpeg})
S: e001 OK UID CONVERT completed
# §8.4 example f001: AVAILABLECONVERSIONS of the default conversion;
# with parameters, only targets they all apply to.
C: f001 CONVERT 1 (NIL) (AVAILABLECONVERSIONS[3])
S: * 1 CONVERTED (TAG "f001") (AVAILABLECONVERSIONS[3] (("image/jpeg" "image/png" "image/webp")))
S: f001 OK CONVERT completed
C: f002 CONVERT 1 (NIL ("charset" "utf-8")) (AVAILABLECONVERSIONS[2] AVAILABLECONVERSIONS[3])
S: * 1 CONVERTED (TAG "f002") (AVAILABLECONVERSIONS[2] (("text/html" "text/plain")) AVAILABLECONVERSIONS[3] (ERROR "Conversion parameters not understood or not valid for image/png to image/png" BADPARAMETERS "image/png" "image/png" ("charset" "utf-8")))
S: f002 OK Some conversions failed
# §9: no conversion from this part to that type is BADPARAMETERS without
# parameters; "If the from-concrete-mime-type is NIL, this means that the
# specified body part doesn't exist"; "If at least one conversion
# succeeds, the server MUST return an OK response".
C: g1 CONVERT 1 ("text/plain" ("charset" "utf-8")) (BINARY[3] BINARY[9] BINARY.SIZE[1])
S: * 1 CONVERTED (TAG "g1") (BINARY[3] (ERROR "Conversion from image/png to text/plain is not available" BADPARAMETERS "image/png" "text/plain") BINARY[9] (ERROR "No such body part" BADPARAMETERS NIL "text/plain") BINARY.SIZE[1] 12)
S: g1 OK Some conversions failed
# §9: "All unrecognized or irrelevant parameters MUST be listed".
C: g2 CONVERT 1 ("image/png" ("pix-x" "0" "depth" "8")) BINARY.SIZE[3]
S: * 1 CONVERTED (TAG "g2") (BINARY.SIZE[3] (ERROR "Conversion parameters not understood or not valid for image/png to image/png" BADPARAMETERS "image/png" "image/png" ("pix-x" "0" "depth" "8")))
S: g2 NO All conversions failed
# §9: "A syntactically invalid MIME media type SHOULD generate a BAD
# tagged response ... An unrecognized MIME media type generates a NO".
C: g3 CONVERT 1 ("text plain" ("charset" "utf-8")) BINARY[1]
S: g3 BAD CONVERT: invalid media type text plain
C: b002 CONVERT 1 ("APPLICATION/PDF") BINARY[1]
S: b002 NO No conversion to application/pdf is available
# §6 BODY[HEADER] with the default conversion and CHARSET: encoded words
# decoded and written again in that charset; anything else is BAD.
C: D002 CONVERT 1 (NIL ("CHARSET" "utf-8")) BODY[HEADER]
S: * 1 CONVERTED (TAG "D002") (BODY[HEADER] {182}From: Peter <peter@siroe.example.com>\r\nTo: Alexey <alexey@siroe.example.com>\r\nSubject: =?UTF-8?B?Y2Fmw6k=?= au lait\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n)
S: D002 OK CONVERT completed
# §9: parameters that do not apply, or an unknown charset, are listed.
C: D005 CONVERT 1 (NIL ("CHARSET" "no-such-charset")) BODY[HEADER]
S: * 1 CONVERTED (TAG "D005") (BODY[HEADER] (ERROR "Conversion parameters not understood or not valid for a header" BADPARAMETERS "message/rfc822" "message/rfc822" ("charset" "no-such-charset")))
S: D005 NO All conversions failed
C: D006 CONVERT 1 (NIL ("CHARSET" "utf-8" "pix-x" "5")) BODY[1.MIME]
S: * 1 CONVERTED (TAG "D006") (BODY[1.MIME] (ERROR "Conversion parameters not understood or not valid for a header" BADPARAMETERS "message/rfc822" "message/rfc822" ("pix-x" "5")))
S: D006 NO All conversions failed
C: g4 CONVERT 1 ("text/plain" ("charset" "utf-8" "charset" "us-ascii")) BINARY[1]
S: * 1 CONVERTED (TAG "g4") (BINARY[1] (ERROR "Conversion parameters not understood or not valid for text/plain to text/plain" BADPARAMETERS "text/plain" "text/plain" ("charset" "utf-8" "charset" "us-ascii")))
S: g4 NO All conversions failed
C: D003 CONVERT 1 (NIL) BODY[1.MIME]
S: D003 BAD BODY[...HEADER] and BODY[...MIME] need the CHARSET parameter
C: D004 CONVERT 1 ("text/plain" ("CHARSET" "utf-8")) BODY[HEADER]
S: D004 BAD BODY[...HEADER] and BODY[...MIME] take the default conversion (NIL) only
# §8.5 limits, with their response codes (imap.convert_max_parts 4,
# imap.convert_max_messages set to 1 below).
C: h001 CONVERT 1 ("text/plain" ("charset" "us-ascii")) (BINARY[1] BINARY[2] BINARY[3] BINARY[4] BINARY[5])
S: h001 NO [MAXCONVERTPARTS 4] At most 4 body parts per CONVERT
C: a3 APPEND INBOX {12+}
C: Subject: x
C: 
S: * 2 EXISTS
S: * 2 RECENT
S: a3 OK [APPENDUID ${uv} 2] APPEND completed
C: g001 CONVERT 1:* ("text/plain" ("charset" "us-ascii")) BINARY[1]
S: g001 NO [MAXCONVERTMESSAGES 1] At most 1 messages per CONVERT
# §6: "the CONVERT command never sets the \Seen flag".
C: s1 FETCH 1 FLAGS
S: * 1 FETCH (FLAGS (\Recent))
S: s1 OK FETCH completed
