"""Hand-written citizen vocabulary per goal and language (what people say, not what the UN writes).

Entries are folded words, or phrases joined by "_"; a trailing "*" matches any ending. In
Nepali every entry of three letters or more is a prefix (postpositions attach to the word).
Source data for the build; not read at run time.
"""

from __future__ import annotations

CITIZEN_LEXICON: dict[str, dict[int, str]] = {
    "en": {
        1: "poor poverty destitute* homeless* beggar* cash_transfer* social_protection pension*"
        " afford* no_money income* debt* slum* basic_services",
        2: "hunger hungry famine food* meal* malnutrition malnourish* stunting stunted wasting"
        " crop* harvest* farmer* farming agricultur* livestock seed* fertili* maize rice"
        " starv* nutrition*",
        3: "health* hospital* clinic* doctor* nurse* medicine* medical sick* illness* disease*"
        " malaria hiv aids tuberculosis vaccin* immuni* maternal pregnan* childbirth"
        " midwife* mortality death* dying patient* drug* cholera epidemic* mental",
        4: "school* teacher* pupil* student* class* classroom* educat* learn* literacy"
        " exam* university* universities college* textbook* tuition enrol* dropout*",
        5: "women woman girl* gender wife wives husband* beat* batter* rape* dowry"
        " child_marriage early_marriage female_genital fgm domestic_violence sexual_harass*"
        " maternity equal_pay abuse* widow*",
        6: "water* well* borehole* tap* pipe* latrine* toilet* sanitation sewage sewer*"
        " hygiene handwash* hand_washing drinking dirty_water contaminat* spring* pump*"
        " defecat* wastewater",
        7: "electric* power* energy solar* kerosene fuel* firewood charcoal cookstove*"
        " grid blackout* outage* renewable* biogas generator*",
        8: "job* jobs unemploy* employ* work* wage* salary salaries labour labor worker*"
        " child_labour forced_labour business* tourism informal economic_growth pay*",
        9: "road* bridge* internet mobile_network phone_signal infrastructur* factory"
        " factories industr* innovat* research* broadband transport*",
        10: "inequalit* discriminat* migrant* refugee* disabilit* disabled caste* minorit*"
        " exclu* marginali* remittance* indigenous",
        11: "city cities urban* housing house* slum* evict* landlord* rent nowhere_to_live"
        " traffic* bus* public_transport garbage"
        " waste_collection flood* disaster* landslide* earthquake* air_pollution park*",
        12: "waste* plastic* recycl* packaging consum* pesticide* chemical* food_waste"
        " landfill* dumping resource_efficien*",
        13: "climate* drought* flood* global_warming carbon emission* greenhouse cyclone*"
        " heatwave* rainfall weather adaptation",
        14: "ocean* sea* marine fish* fishing fisher* coral* reef* coast* mangrove*"
        " overfish* beach* plastic_in_the_sea",
        15: "forest* tree* deforest* logging wildlife poach* biodiversit* land_degradation"
        " desert* soil_erosion species extinct* ecosystem* wetland*",
        16: "police* court* judge* justice corrupt* brib* violen* murder* kill* crime*"
        " criminal* theft steal* stole* embezzl* misappropriat* robbery conflict* war* peace*"
        " trafficking* birth_registration"
        " prison* abuse* beat* assault* threat* insecur* govern* rights",
        17: "partnership* donor* aid debt_relief development_assistance cooperation trade*"
        " export* tax* revenue* technology_transfer capacity_building",
    },
    "es": {
        1: "pobre* pobreza indigen* sin_dinero ingreso* deuda* desalojo* subsidio* pension*"
        " proteccion_social sin_techo",
        2: "hambre* aliment* comida* comer desnutri* nutricion cosecha* cultivo* agricult*"
        " campesin* ganad* semilla* sequia hambruna",
        3: "salud* hospital* clinica* medico* enfermer* medicina* medicamento* enferm*"
        " vacun* dengue malaria embaraz* parto* mortalidad muert* sanitari* posta*",
        4: "escuela* maestro* maestra* docente* profesor* alumno* estudiante* educa*"
        " aprend* clase* colegio* universidad* alfabetiz* matricula* aula*",
        5: "mujer* nina* genero marido* esposo* pareja golpe* pega* violencia_domestica"
        " violencia_de_genero violacion* acoso* feminicidio* machis* igualdad_salarial"
        " matrimonio_infantil casarse maltrat*",
        6: "agua* pozo* grifo* caneria* tuberia* letrina* bano* saneamiento alcantarill*"
        " cloaca* higiene potable contaminad* lavado_de_manos",
        7: "electric* luz energia* solar* apagon* apagones corte_de_luz combustible* lena"
        " carbon gas renovable*",
        8: "trabajo* empleo* desemple* salario* sueldo* obrero* trabajador* laboral*"
        " explotacion trabajo_infantil negocio* economia*",
        9: "carretera* camino* puente* internet senal telefon* conectividad industria*"
        " fabrica* innovacion investigacion transporte*",
        10: "desigualdad* discrimin* migrante* refugiad* discapacidad* discapacitad*"
        " indigena* exclusion* racismo*",
        11: "ciudad* urban* vivienda* barrio* villa* basura* transporte_publico colectivo*"
        " inundacion* desastre* terremoto* trafico",
        12: "residuo* basura* plastico* recicla* consumo* desperdicio* pesticida* agroquimico*"
        " quimico* relleno_sanitario",
        13: "clima* climatic* sequia* inundacion* calentamiento emision* carbono"
        " invernadero huracan* lluvia*",
        14: "mar oceano* marin* pesca* pescador* pez peces coral* costa* playa* manglar*",
        15: "bosque* arbol* deforest* tala* fauna flora biodiversidad especie* suelo* erosion"
        " desertific* humedal* incendio_forestal",
        16: "policia* juez* justicia tribunal* corrup* malversa* soborno* coima* violencia*"
        " asesin*"
        " homicidio* delito* crimen* robo* inseguridad amenaza* paz guerra* conflicto*"
        " trata_de_personas registro_civil carcel* derechos",
        17: "cooperacion* alianza* donante* ayuda_internacional deuda_externa comercio*"
        " exportacion* impuesto* recaudacion tecnologia",
    },
    "sw": {
        1: "maskini umaskini ufukara fukara pesa hana_pesa hatuna_pesa kipato madeni deni"
        " msaada_wa_kijamii pensheni",
        2: "njaa chakula vyakula unga lishe utapiamlo mazao mavuno mkulima wakulima kilimo mifugo"
        " mbegu mbolea ukame mahindi mchele",
        3: "afya hospitali zahanati kliniki daktari madaktari muuguzi wauguzi dawa ugonjwa"
        " magonjwa mgonjwa wagonjwa malaria ukimwi kifua_kikuu chanjo mjamzito wajawazito"
        " kujifungua vifo kipindupindu kituo_cha_afya",
        4: "shule mwalimu walimu mwanafunzi wanafunzi elimu kusoma darasa madarasa vitabu"
        " chuo mtihani mitihani ada_ya_shule",
        5: "mwanamke wanawake msichana wasichana mume mke ananipiga wanapigwa kupigwa ubakaji"
        " kubakwa ukeketaji ndoa_za_utotoni ndoa_ya_utotoni ukatili_wa_kijinsia unyanyasaji"
        " usawa_wa_kijinsia jinsia",
        6: "maji kisima visima bomba mabomba choo vyoo usafi_wa_mazingira maji_machafu"
        " maji_safi kunawa_mikono mfereji chemchemi pampu maji_taka",
        7: "umeme nishati sola jua mafuta_ya_taa kuni mkaa gesi stima",
        8: "kazi ajira ukosefu_wa_ajira mshahara mishahara wafanyakazi mfanyakazi biashara"
        " ajira_ya_watoto uchumi kipato",
        9: "barabara daraja madaraja mtandao intaneti simu mawasiliano kiwanda viwanda usafiri",
        10: "ubaguzi usawa wakimbizi mkimbizi wahamiaji ulemavu walemavu mlemavu kutengwa",
        11: "mji miji jiji makazi nyumba mitaa takataka taka mafuriko maafa msongamano"
        " usafiri_wa_umma",
        12: "taka plastiki kuchakata matumizi kemikali dawa_za_kuulia_wadudu",
        13: "hali_ya_hewa tabianchi ukame mafuriko mvua joto kimbunga",
        14: "bahari samaki uvuvi wavuvi mvuvi matumbawe pwani fukwe mikoko",
        15: "msitu misitu miti mti ukataji_wa_miti wanyamapori ujangili bioanuai udongo"
        " mmomonyoko jangwa",
        16: "polisi mahakama haki rushwa hongo ufisadi ubadhirifu kuiba aliiba ameiba wameiba"
        " uhalifu mhalifu wizi mwizi majambazi vurugu"
        " mauaji kuuawa amani vita migogoro usalama ananipiga kupigwa ukatili"
        " usajili_wa_vizazi",
        17: "ushirikiano wafadhili msaada_wa_kimataifa biashara_ya_kimataifa kodi mapato"
        " teknolojia",
    },
    "ne": {
        1: "गरिब गरीबी दरिद्र पैसा_छैन आम्दानी ऋण सामाजिक_सुरक्षा भत्ता सुकुम्बासी",
        2: "भोक भोकमरी खाना खाद्य चामल पोषण कुपोषण बाली अन्न किसान कृषि खेती पशु बीउ मल खडेरी",
        3: "स्वास्थ्य अस्पताल स्वास्थ्य_चौकी डाक्टर नर्स औषधि औषधी बिरामी रोग रोगी"
        " मलेरिया एचआईभी क्षयरोग खोप गर्भवती सुत्केरी प्रसूति मृत्यु हैजा",
        4: "विद्यालय स्कूल शिक्षक शिक्षिका विद्यार्थी छात्र छात्रा शिक्षा पढाइ कक्षा"
        " किताब पुस्तक कलेज विश्वविद्यालय परीक्षा साक्षर",
        5: "महिला नारी केटी श्रीमान श्रीमती पति पत्नी कुट्छ कुटपिट बलात्कार दाइजो"
        " बालविवाह बाल_विवाह लैङ्गिक_हिंसा घरेलु_हिंसा छाउपडी यौन दुर्व्यवहार",
        6: "पानी खानेपानी धारा कुवा इनार ट्युबवेल शौचालय चर्पी सरसफाइ ढल फोहोर_पानी हात_धुने",
        7: "बिजुली विद्युत ऊर्जा सौर्य सोलार मट्टितेल दाउरा ग्यास लोडसेडिङ",
        8: "रोजगार बेरोजगार काम जागिर ज्याला तलब मजदुर श्रमिक बाल_श्रम व्यापार व्यवसाय अर्थतन्त्र",
        9: "सडक बाटो पुल इन्टरनेट मोबाइल नेटवर्क उद्योग कारखाना यातायात",
        10: "असमानता भेदभाव जातीय छुवाछुत दलित आप्रवासी शरणार्थी अपाङ्ग अपाङ्गता आदिवासी",
        11: "शहर सहर नगर आवास घर बस्ती फोहोर यातायात बाढी पहिरो भूकम्प विपद्",
        12: "फोहोर प्लास्टिक पुनः_प्रयोग उपभोग रसायन विषादी",
        13: "जलवायु मौसम खडेरी बाढी तापक्रम वर्षा हिमताल",
        14: "समुद्र सागर माछा मत्स्य",
        15: "वन जंगल रूख बोट वनजंगल वन्यजन्तु चोरीशिकार जैविक_विविधता माटो भू-क्षय",
        16: "प्रहरी अदालत न्याय भ्रष्टाचार घुस अपराध चोर हत्या हिंसा शान्ति द्वन्द्व"
        " सुरक्षा मानव_बेचबिखन जन्मदर्ता कुटपिट",
        17: "साझेदारी दाता सहयोग वैदेशिक सहायता कर राजस्व प्रविधि",
    },
}
