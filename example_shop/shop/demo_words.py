# ruff: noqa: E501
"""What the demo's shoppers ask and how the agents answer, per language.

Each question: ``(topic, close tag, shopper's first line, their follow-up,
agent's answer)``. Topics and tags are LIVECHAT_TOPICS and
LIVECHAT_CLOSE_TAGS keys. Several shoppers ask for things the shop does not
sell yet (decaf, gluten-free bread, children's lunch boxes): the reports'
words show the demand, as the shoe shop of docs/reports.md learned about
children's clothes.
"""

QUESTIONS = {
    "en": [
        (
            "pre-sales",
            "question",
            "How much is shipping to Valencia?",
            "And is it free over some amount?",
            "Shipping is 4.90 in Spain and free for orders over 40.",
        ),
        (
            "pre-sales",
            "question",
            "What are the shipping costs to France?",
            "How many days does delivery take?",
            "To France it is 9.50 and takes 3 to 5 working days.",
        ),
        (
            "pre-sales",
            "question",
            "Do you ship to the Canary Islands?",
            "What would shipping cost?",
            "Yes, shipping to the Canaries is 12 and takes about a week.",
        ),
        (
            "pre-sales",
            "question",
            "What size is the canvas tote bag?",
            "Does a laptop fit in it?",
            "It is 38 x 42 cm with a 10 cm gusset: a 15 inch laptop fits.",
        ),
        (
            "pre-sales",
            "question",
            "Is the honey jar the big size or the small one?",
            "Do you sell a bigger jar?",
            "It is the 340 g jar; a 1 kg jar comes next month.",
        ),
        (
            "pre-sales",
            "question",
            "Do you sell decaf coffee?",
            "Any decaf beans planned?",
            "Not yet, but many of you ask: we are looking for a good one.",
        ),
        (
            "pre-sales",
            "question",
            "Do you have decaf coffee beans?",
            "My wife cannot drink caffeine.",
            "Not yet, sorry! I have noted your request.",
        ),
        (
            "pre-sales",
            "question",
            "Is the sourdough gluten-free?",
            "Do you have gluten-free bread at all?",
            "It is not gluten-free, and we have no gluten-free bread yet.",
        ),
        (
            "pre-sales",
            "question",
            "Do you sell children's lunch boxes?",
            "Something for kids' school snacks?",
            "Not yet: we have the apples and honey, no lunch boxes for children.",
        ),
        (
            "pre-sales",
            "question",
            "Do you have snacks for children?",
            "Something healthy for school?",
            "The apples and the dark chocolate are popular with children.",
        ),
        (
            "pre-sales",
            "question",
            "Can you gift wrap the chocolate?",
            "It is a birthday present.",
            "Yes, add a note at checkout and we wrap it for free.",
        ),
        (
            "order",
            "order",
            "Where is my order {order}?",
            "It said shipped two days ago.",
            "Order {order} is with the courier and arrives tomorrow.",
        ),
        (
            "order",
            "order",
            "My order {order} has not arrived yet",
            "Can you check the tracking?",
            "The tracking shows it at your local depot: it arrives today.",
        ),
        (
            "order",
            "return",
            "How do I return the tote bag?",
            "It has a small stain.",
            "Sorry about that! Reply with a photo and we send a return label.",
        ),
        (
            "order",
            "return",
            "Can I return an opened coffee bag?",
            "I do not like the taste.",
            "Yes, within 14 days: we refund it even opened.",
        ),
        (
            "order",
            "complaint",
            "The olive oil tin arrived dented",
            "Is the oil still fine?",
            "The oil is fine, but we send you a new tin today.",
        ),
        (
            "order",
            "order",
            "Can I change the address of order {order}?",
            "I moved last week.",
            "Done: order {order} goes to your new address.",
        ),
        (
            "other",
            "other",
            "Are you open on Sunday?",
            "For picking up an order?",
            "We are open Sunday 10 to 14 for pick-ups.",
        ),
        (
            "other",
            "other",
            "Do you have a shop in Madrid?",
            "I would like to see the products.",
            "Only online for now, but we deliver to Madrid in two days.",
        ),
    ],
    "es": [
        (
            "pre-sales",
            "question",
            "¿Cuánto cuesta el envío a Sevilla?",
            "¿Y es gratis a partir de algún importe?",
            "El envío en España cuesta 4,90 y es gratis desde 40.",
        ),
        (
            "pre-sales",
            "question",
            "¿Cuáles son los gastos de envío a Portugal?",
            "¿Cuántos días tarda?",
            "A Portugal son 7,50 y tarda de 2 a 4 días laborables.",
        ),
        (
            "pre-sales",
            "question",
            "¿De qué tamaño es la bolsa de tela?",
            "¿Cabe un portátil?",
            "Mide 38 x 42 cm: cabe un portátil de 15 pulgadas.",
        ),
        (
            "pre-sales",
            "question",
            "¿Tenéis café descafeinado?",
            "¿Lo tendréis pronto?",
            "Todavía no, pero lo piden muchos clientes: lo estamos buscando.",
        ),
        (
            "pre-sales",
            "question",
            "¿Vendéis ropa para niños?",
            "Busco algo para mi hijo.",
            "No vendemos ropa infantil, solo alimentación y la bolsa de tela.",
        ),
        (
            "pre-sales",
            "question",
            "¿Tenéis meriendas para niños?",
            "Algo sano para el colegio.",
            "Las manzanas y la miel gustan mucho a los niños.",
        ),
        (
            "pre-sales",
            "question",
            "¿El pan de masa madre es sin gluten?",
            "Soy celíaca.",
            "No es sin gluten y de momento no tenemos pan sin gluten.",
        ),
        (
            "order",
            "order",
            "¿Dónde está mi pedido {order}?",
            "Pone enviado desde el lunes.",
            "Tu pedido {order} está en reparto y llega mañana.",
        ),
        (
            "order",
            "return",
            "¿Cómo devuelvo un producto?",
            "El aceite no me gusta.",
            "Tienes 14 días: te enviamos una etiqueta de devolución.",
        ),
        (
            "order",
            "complaint",
            "La lata de aceite llegó abollada",
            "¿Se puede usar?",
            "El aceite está bien, pero te enviamos otra lata hoy.",
        ),
        (
            "other",
            "other",
            "¿Abrís los domingos?",
            "Para recoger un pedido.",
            "Los domingos abrimos de 10 a 14 para recogidas.",
        ),
    ],
    "ru": [
        (
            "pre-sales",
            "question",
            "Сколько стоит доставка в Барселону?",
            "А бесплатная доставка бывает?",
            "Доставка по Испании 4,90, бесплатно от 40.",
        ),
        (
            "pre-sales",
            "question",
            "Есть ли у вас кофе без кофеина?",
            "Планируете ли его продавать?",
            "Пока нет, но вы не первые спрашиваете: ищем хороший.",
        ),
        (
            "pre-sales",
            "question",
            "Какого размера сумка из холста?",
            "Влезет ли ноутбук?",
            "38 на 42 см, ноутбук 15 дюймов влезает.",
        ),
        (
            "pre-sales",
            "question",
            "Продаёте ли детскую одежду?",
            "Ищу подарок для дочки.",
            "Детской одежды нет, только продукты и сумка.",
        ),
        (
            "order",
            "order",
            "Где мой заказ {order}?",
            "Он был отправлен в понедельник.",
            "Заказ {order} у курьера, приедет завтра.",
        ),
        (
            "order",
            "return",
            "Как вернуть товар?",
            "Мёд оказался слишком сладким.",
            "В течение 14 дней: пришлём этикетку для возврата.",
        ),
    ],
    "zh": [
        (
            "pre-sales",
            "question",
            "寄到上海的运费是多少？",
            "多少钱以上包邮？",
            "国际运费是15欧元，满80欧元包邮。",
        ),
        (
            "pre-sales",
            "question",
            "你们有无咖啡因咖啡吗？",
            "以后会有吗？",
            "暂时没有，很多顾客问过，我们在找。",
        ),
        (
            "pre-sales",
            "question",
            "帆布袋是多大尺寸？",
            "能放笔记本电脑吗？",
            "38 x 42 厘米，可以放15寸电脑。",
        ),
        (
            "order",
            "order",
            "我的订单 {order} 在哪里？",
            "已经一周了。",
            "订单 {order} 已到海关，预计三天内送达。",
        ),
    ],
}
# The shopper's locale for each language, and how often each is heard.
LOCALES = {"en": "en-GB", "es": "es-ES", "ru": "ru-RU", "zh": "zh-CN"}
LANGUAGE_WEIGHTS = {"en": 55, "es": 28, "ru": 10, "zh": 7}

GREETINGS = {
    "en": "Hi {name}, thanks for waiting!",
    "es": "¡Hola {name}, gracias por esperar!",
    "ru": "Здравствуйте, {name}, спасибо, что подождали!",
    "zh": "{name}您好，感谢等待！",
}
THANKS = {
    "en": "Great, thank you!",
    "es": "¡Perfecto, gracias!",
    "ru": "Отлично, спасибо!",
    "zh": "好的，谢谢！",
}
RATING_COMMENTS = {
    "good": ["Quick and kind", "Very helpful, thanks", "Muy amables", "Спасибо!"],
    "bad": ["I waited too long", "Did not solve my problem"],
}
NAMES = {
    "en": ["Emma", "Oliver", "Amelia", "Jack", "Sophie", "Harry", "Grace", "Leo"],
    "es": ["Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Pablo", "Carmen"],
    "ru": ["Анна", "Иван", "Мария", "Дмитрий", "Ольга"],
    "zh": ["王芳", "李伟", "张敏", "刘洋"],
}
# Where chats start: most on products, some on the cart and the checkout.
START_PAGES = [
    ("/", 12),
    ("/products/coffee-beans/", 14),
    ("/products/honey/", 8),
    ("/products/tote-bag/", 8),
    ("/products/sourdough/", 6),
    ("/products/olive-oil/", 6),
    ("/cart/", 14),
    ("/checkout/", 12),
    ("/orders/", 10),
]
# Saved replies the agents use, and how they start the chat with them.
SAVED_REPLIES = [
    ("Shipping costs", "shipping", "Shipping is 4.90 in Spain and free for orders over 40."),
    ("Returns", "returns", "You can return anything within 14 days: we send a label."),
    ("Opening hours", "hours", "We answer chats Monday to Friday, 9:00 to 17:00."),
]  # fmt: skip
