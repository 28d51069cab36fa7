"""The engine's own words (not the form's) in English, Kiswahili, Spanish and Nepali."""
from __future__ import annotations

from sms_flows import keywords

CATALOGUE: dict[str, dict[str, str]] = {
    # Sent once a minute at most to a number texting faster than SMS_NUMBER_PER_MINUTE.
    "slow_down": {
        "en": "You are sending messages too fast. Please wait a minute, then send your answer "
              "again.",
        "sw": "Unatuma ujumbe haraka mno. Tafadhali subiri dakika moja, kisha tuma jibu lako "
              "tena.",
        "es": "Está enviando mensajes demasiado rápido. Espere un minuto y envíe su respuesta "
              "de nuevo.",
        "ne": "तपाईं धेरै छिटो सन्देश पठाउँदै हुनुहुन्छ। कृपया एक मिनेट पर्खनुहोस्, अनि आफ्नो उत्तर "
              "फेरि पठाउनुहोस्।",
    },
    "reply_number": {
        "en": "Reply with a number from the list.",
        "sw": "Jibu kwa namba kutoka kwenye orodha.",
        "es": "Responda con un número de la lista.",
        "ne": "सूचीबाट एउटा नम्बर पठाउनुहोस्।",
    },
    "reply_numbers": {
        "en": "Reply with one or more numbers, e.g. 1 3.",
        "sw": "Jibu kwa namba moja au zaidi, mfano 1 3.",
        "es": "Responda con uno o más números, p. ej. 1 3.",
        "ne": "एक वा बढी नम्बर पठाउनुहोस्, जस्तै 1 3।",
    },
    "whole_number": {
        "en": "Reply with a whole number.",
        "sw": "Jibu kwa namba kamili.",
        "es": "Responda con un número entero.",
        "ne": "पूर्ण सङ्ख्या पठाउनुहोस्।",
    },
    "decimal": {
        "en": "Reply with a number, e.g. 2.5.",
        "sw": "Jibu kwa namba, mfano 2.5.",
        "es": "Responda con un número, p. ej. 2,5.",
        "ne": "सङ्ख्या पठाउनुहोस्, जस्तै 2.5।",
    },
    # Dates in the local order: day first in Kenya, Tanzania and Argentina; year first in
    # Nepal (the parser takes both, and ISO).
    "date": {
        "en": "Reply with a date like 25/12/2024.",
        "sw": "Jibu kwa tarehe kama 25/12/2024.",
        "es": "Responda con una fecha como 25/12/2024.",
        "ne": "मिति यसरी पठाउनुहोस्: 2024-12-25।",
    },
    "datetime": {
        "en": "Reply with a date and time like 25/12/2024 14:30.",
        "sw": "Jibu kwa tarehe na saa kama 25/12/2024 14:30.",
        "es": "Responda con fecha y hora como 25/12/2024 14:30.",
        "ne": "मिति र समय यसरी पठाउनुहोस्: 2024-12-25 14:30।",
    },
    "time": {
        "en": "Reply with a time like 14:30.",
        "sw": "Jibu kwa saa kama 14:30.",
        "es": "Responda con una hora como 14:30.",
        "ne": "समय यसरी पठाउनुहोस्: 14:30।",
    },
    "geopoint": {
        "en": "Reply with latitude and longitude, e.g. -1.28 36.82.",
        "sw": "Jibu kwa latitudo na longitudo, mfano -1.28 36.82.",
        "es": "Responda con latitud y longitud, p. ej. -34.6 -58.4.",
        "ne": "अक्षांश र देशान्तर पठाउनुहोस्, जस्तै 27.7 85.3।",
    },
    # The short forms of the hints above, for when the full one would cost another SMS part.
    "reply_numbers_short": {
        "en": "One or more, e.g. 1 3", "sw": "Moja au zaidi, mfano 1 3",
        "es": "Uno o más, p. ej. 1 3", "ne": "एक वा बढी, जस्तै 1 3",
    },
    "decimal_short": {"en": "e.g. 2.5", "sw": "mfano 2.5", "es": "p. ej. 2,5", "ne": "जस्तै 2.5"},
    "date_short": {
        "en": "e.g. 25/12/2024", "sw": "mfano 25/12/2024", "es": "p. ej. 25/12/2024",
        "ne": "जस्तै 2024-12-25",
    },
    "datetime_short": {
        "en": "e.g. 25/12/2024 14:30", "sw": "mfano 25/12/2024 14:30",
        "es": "p. ej. 25/12/2024 14:30", "ne": "जस्तै 2024-12-25 14:30",
    },
    "time_short": {"en": "e.g. 14:30", "sw": "mfano 14:30", "es": "p. ej. 14:30",
                   "ne": "जस्तै 14:30"},
    "geopoint_short": {
        "en": "lat lon, e.g. -1.28 36.82", "sw": "latitudo longitudo, mfano -1.28 36.82",
        "es": "lat lon, p. ej. -34.6 -58.4", "ne": "अक्षांश देशान्तर, जस्तै 27.7 85.3",
    },
    "optional": {
        "en": "Optional: send {skip} to skip.", "sw": "Si lazima: tuma {skip} kuruka.",
        "es": "Opcional: envíe {skip} para saltarla.", "ne": "ऐच्छिक: छोड्न {skip} पठाउनुहोस्।",
    },
    "optional_short": {
        "en": "({skip} to skip)", "sw": "({skip} kuruka)", "es": "({skip} para saltar)",
        "ne": "(छोड्न {skip})",
    },
    # WhatsApp: a question answered with a photo, a voice note or a video.
    "send_image": {"en": "Send a photo.", "sw": "Tuma picha.", "es": "Envíe una foto.",
                   "ne": "फोटो पठाउनुहोस्।"},
    "send_audio": {"en": "Send a voice note.", "sw": "Tuma ujumbe wa sauti.",
                   "es": "Envíe un audio.", "ne": "आवाज सन्देश पठाउनुहोस्।"},
    "send_video": {"en": "Send a video.", "sw": "Tuma video.", "es": "Envíe un video.",
                   "ne": "भिडियो पठाउनुहोस्।"},
    "text": {
        "en": "Reply with some text.",
        "sw": "Jibu kwa maneno.",
        "es": "Responda con un texto.",
        "ne": "केही शब्द लेखेर पठाउनुहोस्।",
    },
    "required": {
        "en": "This question needs an answer.",
        "sw": "Swali hili linahitaji jibu.",
        "es": "Esta pregunta necesita una respuesta.",
        "ne": "यो प्रश्नको उत्तर आवश्यक छ।",
    },
    "constraint": {
        "en": "That answer is not accepted.",
        "sw": "Jibu hilo halikubaliki.",
        "es": "Esa respuesta no es válida.",
        "ne": "त्यो उत्तर मान्य छैन।",
    },
    "thanks": {
        "en": "Thank you! Your answers have been saved.",
        "sw": "Asante! Majibu yako yamehifadhiwa.",
        "es": "¡Gracias! Sus respuestas se guardaron.",
        "ne": "धन्यवाद! तपाईंका उत्तरहरू सुरक्षित भए।",
    },
    "declined": {
        "en": "Thank you. We will stop here; nothing you sent has been kept.",
        "sw": "Asante. Tunaishia hapa; hakuna ulichotuma kilichohifadhiwa.",
        "es": "Gracias. Terminamos aquí; no se guardó nada de lo que envió.",
        "ne": "धन्यवाद। हामी यहीँ रोकिन्छौं; तपाईंले पठाएको केही पनि राखिएको छैन।",
    },
    "simulated": {
        "en": "This was a test: nothing was stored.",
        "sw": "Hili lilikuwa jaribio: hakuna kilichohifadhiwa.",
        "es": "Esto fue una prueba: no se guardó nada.",
        "ne": "यो परीक्षण थियो: केही पनि सुरक्षित गरिएन।",
    },
    "more": {"en": "0 More", "sw": "0 Zaidi", "es": "0 Más", "ne": "0 थप"},
    "yes": {"en": "Yes", "sw": "Ndiyo", "es": "Sí", "ne": "हो"},
    "no": {"en": "No", "sw": "Hapana", "es": "No", "ne": "होइन"},
    "add_first": {
        "en": "Add a \"{label}\"?", "sw": "Ongeza \"{label}\"?",
        "es": "¿Agregar \"{label}\"?", "ne": "\"{label}\" थप्ने?",
    },
    "add_another": {
        "en": "Add another \"{label}\"?", "sw": "Ongeza \"{label}\" nyingine?",
        "es": "¿Agregar otro \"{label}\"?", "ne": "अर्को \"{label}\" थप्ने?",
    },
    "help": {
        "en": "Reply to each question. {back} goes back, {skip} skips an optional question, "
              "{language} changes language, {stop} stops, {mydata} shows what we hold.",
        "sw": "Jibu kila swali. {back} kurudi nyuma, {skip} kuruka swali lisilo la lazima, "
              "{language} kubadili lugha, {stop} kusitisha, {mydata} kuona taarifa zako.",
        "es": "Responda cada pregunta. {back} vuelve atrás, {skip} salta una pregunta "
              "opcional, {language} cambia el idioma, {stop} termina, {mydata} muestra sus "
              "datos.",
        "ne": "हरेक प्रश्नको उत्तर पठाउनुहोस्। {back} पछाडि, {skip} ऐच्छिक प्रश्न छोड्न, "
              "{language} भाषा बदल्न, {stop} रोक्न, {mydata} तपाईंको विवरण हेर्न।",
    },
    "help_hint": {
        "en": "Send {help} for help.", "sw": "Tuma {help} kupata msaada.",
        "es": "Envíe {help} para ayuda.", "ne": "सहायताका लागि {help} पठाउनुहोस्।",
    },
    "first_question": {
        "en": "This is the first question.", "sw": "Hili ni swali la kwanza.",
        "es": "Esta es la primera pregunta.", "ne": "यो पहिलो प्रश्न हो।",
    },
    "cannot_skip": {
        "en": "This question cannot be skipped.", "sw": "Swali hili haliwezi kurukwa.",
        "es": "Esta pregunta no se puede saltar.", "ne": "यो प्रश्न छोड्न मिल्दैन।",
    },
    "skipped": {
        "en": "Skipped after {n} tries.", "sw": "Limerukwa baada ya majaribio {n}.",
        "es": "Omitida tras {n} intentos.", "ne": "{n} पटक प्रयास पछि छोडियो।",
    },
    "choose_language": {
        "en": "Choose a language:", "sw": "Chagua lugha:", "es": "Elija un idioma:",
        "ne": "भाषा छान्नुहोस्:",
    },
    "stopped": {
        "en": "You will get no more messages. Send {start} to start again.",
        "sw": "Hutapokea ujumbe zaidi. Tuma {start} kuanza tena.",
        "es": "No recibirá más mensajes. Envíe {start} para empezar de nuevo.",
        "ne": "अब तपाईंलाई सन्देश आउने छैन। फेरि सुरु गर्न {start} पठाउनुहोस्।",
    },
    "reminder": {
        "en": "Reminder: your survey is waiting for you.",
        "sw": "Kumbusho: utafiti wako unakusubiri.",
        "es": "Recordatorio: su encuesta le espera.",
        "ne": "सम्झना: तपाईंको सर्वेक्षण बाँकी छ।",
    },
    "welcome_back": {
        "en": "Welcome back.", "sw": "Karibu tena.", "es": "Bienvenido de nuevo.",
        "ne": "फेरि स्वागत छ।",
    },
    "resume_offer": {
        "en": "You have a survey in progress.", "sw": "Una utafiti unaoendelea.",
        "es": "Tiene una encuesta en curso.", "ne": "तपाईंको सर्वेक्षण बाँकी छ।",
    },
    "continue": {"en": "Continue", "sw": "Endelea", "es": "Continuar", "ne": "जारी राख्नुहोस्"},
    "start_again": {"en": "Start again", "sw": "Anza upya", "es": "Empezar de nuevo",
                    "ne": "फेरि सुरु गर्नुहोस्"},
    "switch": {
        "en": "You have a survey open. Leave it and start the new one?",
        "sw": "Una utafiti ambao haujamaliza. Uache na uanze mpya?",
        "es": "Tiene una encuesta abierta. ¿Dejarla y empezar la nueva?",
        "ne": "तपाईंको एउटा सर्वेक्षण बाँकी छ। त्यसलाई छोडेर नयाँ सुरु गर्ने?",
    },
    "restarted": {
        "en": "Starting again.", "sw": "Tunaanza upya.", "es": "Empezamos de nuevo.",
        "ne": "फेरि सुरु गर्दै।",
    },
    "compact_errors": {
        "en": "Not saved. Please correct and send again:",
        "sw": "Haijahifadhiwa. Tafadhali sahihisha na utume tena:",
        "es": "No se guardó. Corrija y envíe de nuevo:",
        "ne": "सुरक्षित भएन। सच्याएर फेरि पठाउनुहोस्:",
    },
    "compact_unknown": {
        "en": "unknown section +{code}", "sw": "sehemu +{code} haijulikani",
        "es": "sección +{code} desconocida", "ne": "+{code} खण्ड चिनिएन",
    },
    "compact_extra": {
        "en": "too many answers in +{code}", "sw": "majibu mengi mno katika +{code}",
        "es": "demasiadas respuestas en +{code}", "ne": "+{code} मा धेरै उत्तर",
    },
    "compact_repeat": {
        "en": "{name} cannot be sent in one message; send the keyword alone",
        "sw": "{name} haiwezi kutumwa kwa ujumbe mmoja; tuma neno kuu peke yake",
        "es": "{name} no se puede enviar en un mensaje; envíe solo la palabra clave",
        "ne": "{name} एउटै सन्देशमा पठाउन मिल्दैन; मुख्य शब्द मात्र पठाउनुहोस्",
    },
    # Outside any survey: a text that opens none, and the USSD menu of a project's forms.
    "start_keywords": {
        "en": "Send {keywords} to start a survey.", "sw": "Tuma {keywords} kuanza utafiti.",
        "es": "Envíe {keywords} para empezar una encuesta.",
        "ne": "सर्वेक्षण सुरु गर्न {keywords} पठाउनुहोस्।",
    },
    "or": {"en": " or ", "sw": " au ", "es": " o ", "ne": " वा "},
    "choose_survey": {"en": "Choose a survey:", "sw": "Chagua utafiti:",
                      "es": "Elija una encuesta:", "ne": "सर्वेक्षण छान्नुहोस्:"},
    # Citizens' rights (rights.py): MYDATA, DELETE and their USSD menu entries.
    "held": {
        "en": "From this number we hold {n} survey(s) and the messages about them:",
        "sw": "Kutoka namba hii tuna tafiti {n} na jumbe zake:",
        "es": "De este número tenemos {n} encuesta(s) y sus mensajes:",
        "ne": "यो नम्बरबाट हामीसँग {n} सर्वेक्षण र तिनका सन्देशहरू छन्:",
    },
    "held_more": {
        "en": "and {n} more", "sw": "na {n} zaidi", "es": "y {n} más", "ne": "र {n} थप",
    },
    "how_to_delete": {
        "en": "Send {delete} to erase them.", "sw": "Tuma {delete} kuzifuta.",
        "es": "Envíe {delete} para borrarlas.", "ne": "मेटाउन {delete} पठाउनुहोस्।",
    },
    "nothing_held": {
        "en": "We hold no survey from this number, only the number and the messages we "
              "exchanged.",
        "sw": "Hatuna utafiti wowote kutoka namba hii, ila namba yenyewe na jumbe "
              "tulizotumiana.",
        "es": "No tenemos ninguna encuesta de este número, solo el número y los mensajes "
              "intercambiados.",
        "ne": "यो नम्बरबाट हामीसँग कुनै सर्वेक्षण छैन, नम्बर र आदानप्रदान गरिएका सन्देशहरू "
              "मात्र छन्।",
    },
    "held_unfinished": {
        "en": "{n} unfinished survey(s) (your answers so far)",
        "sw": "tafiti {n} ambazo hazijakamilika (majibu yako hadi sasa)",
        "es": "{n} encuesta(s) sin terminar (sus respuestas hasta ahora)",
        "ne": "{n} अधूरो सर्वेक्षण (अहिलेसम्मका तपाईंका उत्तर)",
    },
    "confirm_delete": {
        "en": "Erase the {n} survey(s) sent from this number, their messages and the number "
              "itself? This cannot be undone.",
        "sw": "Ufute tafiti {n} zilizotumwa kutoka namba hii, jumbe zake na namba yenyewe? "
              "Haiwezi kurudishwa.",
        "es": "¿Borrar las {n} encuesta(s) enviadas desde este número, sus mensajes y el "
              "número? No se puede deshacer.",
        "ne": "यो नम्बरबाट पठाइएका {n} सर्वेक्षण, तिनका सन्देश र नम्बर नै मेटाउने? यो फिर्ता "
              "हुँदैन।",
    },
    "confidential_survey": {"en": "A confidential survey", "sw": "Utafiti wa siri",
                            "es": "Una encuesta confidencial", "ne": "एउटा गोप्य सर्वेक्षण"},
    "erase": {"en": "Erase", "sw": "Futa", "es": "Borrar", "ne": "मेटाउनुहोस्"},
    # Not "Acha" in Kiswahili: ACHA is a STOP word, and a person may reply with the word shown.
    "keep": {"en": "Keep", "sw": "Hifadhi", "es": "Conservar", "ne": "राख्नुहोस्"},
    "erased": {
        "en": "Done: everything sent from this number, and the number, has been erased.",
        "sw": "Imefanyika: kila kitu kilichotumwa kutoka namba hii, na namba yenyewe, "
              "kimefutwa.",
        "es": "Listo: se borró todo lo enviado desde este número, y el número.",
        "ne": "सकियो: यो नम्बरबाट पठाइएका सबै कुरा र नम्बर नै मेटाइयो।",
    },
    "kept": {
        "en": "Nothing was erased.", "sw": "Hakuna kilichofutwa.", "es": "No se borró nada.",
        "ne": "केही पनि मेटाइएन।",
    },
    "menu_mydata": {"en": "My data", "sw": "Taarifa zangu", "es": "Mis datos",
                    "ne": "मेरो विवरण"},
    "menu_delete": {"en": "Delete my data", "sw": "Futa taarifa zangu",
                    "es": "Borrar mis datos", "ne": "मेरो विवरण मेटाउनुहोस्"},
}


def message(key: str, lang: str | None, **params: object) -> str:
    """A catalogue message in a language code (English when there is no translation)."""
    texts = CATALOGUE[key]
    text = texts.get(lang or "en") or texts["en"]
    return text.format(**params) if params else text


def command_word(command: str, lang: str | None,
                 table: dict[str, str] | None = None) -> str:
    """The word to show for a command in a language: a per-project word if the project set
    one, else the language's first default word (English when the language has none)."""
    if table is not None:
        defaults = {keywords.fold(w) for ws in keywords.DEFAULT_WORDS[command].values()
                    for w in ws}
        custom = [w for w, c in table.items() if c == command and w not in defaults]
        if custom:
            return custom[0].upper()
    words = keywords.DEFAULT_WORDS[command]
    return (words.get(lang or "en") or words["en"])[0]
