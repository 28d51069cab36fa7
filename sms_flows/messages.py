"""The engine's own words (not the form's) in English, Kiswahili, Spanish and Nepali."""
from __future__ import annotations

from sms_flows import keywords

CATALOGUE: dict[str, dict[str, str]] = {
    "reply_number": {
        "en": "Reply with a number from the list.",
        "sw": "Jibu kwa namba kutoka kwenye orodha.",
        "es": "Responda con un número de la lista.",
        "ne": "सूचीबाट एउटा नम्बर पठाउनुहोस्।",
    },
    "reply_numbers": {
        "en": "Reply with numbers from the list, e.g. 1 3.",
        "sw": "Jibu kwa namba kutoka kwenye orodha, mfano 1 3.",
        "es": "Responda con números de la lista, p. ej. 1 3.",
        "ne": "सूचीबाट नम्बरहरू पठाउनुहोस्, जस्तै 1 3।",
    },
    "whole_number": {
        "en": "Reply with a whole number.",
        "sw": "Jibu kwa namba kamili.",
        "es": "Responda con un número entero.",
        "ne": "पूर्ण सङ्ख्या पठाउनुहोस्।",
    },
    "decimal": {
        "en": "Reply with a number.",
        "sw": "Jibu kwa namba.",
        "es": "Responda con un número.",
        "ne": "सङ्ख्या पठाउनुहोस्।",
    },
    "date": {
        "en": "Reply with a date like 25/12/2024.",
        "sw": "Jibu kwa tarehe kama 25/12/2024.",
        "es": "Responda con una fecha como 25/12/2024.",
        "ne": "मिति यसरी पठाउनुहोस्: 25/12/2024।",
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
              "{language} changes language, {stop} stops.",
        "sw": "Jibu kila swali. {back} kurudi nyuma, {skip} kuruka swali lisilo la lazima, "
              "{language} kubadili lugha, {stop} kusitisha.",
        "es": "Responda cada pregunta. {back} vuelve atrás, {skip} salta una pregunta "
              "opcional, {language} cambia el idioma, {stop} termina.",
        "ne": "हरेक प्रश्नको उत्तर पठाउनुहोस्। {back} पछाडि, {skip} ऐच्छिक प्रश्न छोड्न, "
              "{language} भाषा बदल्न, {stop} रोक्न।",
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
