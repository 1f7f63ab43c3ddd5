"""Benchmark corpus: the same texts for every contender.

``SENTENCES`` holds mixed English and Japanese sentences of varied length and topic (a few words
up to a long paragraph); ``DOCUMENTS`` holds multi-paragraph texts for the long-input case.
``repeat_to(texts, n)`` builds the larger batches of the scaling benchmark by repeating a corpus.
Written for this benchmark; no external data set is involved.
"""

from __future__ import annotations

ENGLISH: list[str] = [
    "Hello.",
    "Thanks!",
    "Good morning, everyone.",
    "Where is the station?",
    "The meeting moved to Thursday.",
    "Please close the window before you leave.",
    "It rained all night, so the river is high this morning.",
    "My laptop battery lasts about six hours on a full charge.",
    "The cat slept on the warm keyboard while I tried to work.",
    "We ordered two pizzas, a salad, and far too many breadsticks.",
    "Static embedding models average token vectors instead of running a transformer.",
    "A cosine similarity of 0.92 suggests the two sentences say almost the same thing.",
    "The library reads the embedding table through a memory map, so loading is nearly instant.",
    "Tokenization splits text into subword pieces that exist in the model's vocabulary.",
    "If the query is empty, the encoder returns a vector of zeros rather than NaN values.",
    "The new train line cuts the commute from ninety minutes to just under an hour.",
    "She planted tomatoes, basil, and peppers along the south wall of the garden.",
    "Our quarterly revenue grew by 14 percent, driven mostly by subscription renewals.",
    "The museum reopens next spring after a two-year renovation of its east wing.",
    "Preheat the oven to 200 degrees and bake the bread for thirty-five minutes.",
    "He learned to play the cello at forty and now performs with a community orchestra.",
    "The hiking trail climbs steeply for two kilometres before reaching the ridge.",
    "Our support team answers most tickets within four business hours.",
    "The patient reported mild headaches and occasional dizziness after the new medication.",
    "Solar panels on the school roof now supply about a third of its electricity.",
    "The referee stopped the match for ten minutes because of lightning nearby.",
    "Remember to back up your database before running the migration script.",
    "Bananas ripen faster when stored next to apples in a paper bag.",
    "The committee will publish its recommendations at the end of the month.",
    "A small bug in the date parser caused reports to show the wrong year in January.",
    "The lighthouse has guided ships around the rocky cape since 1874.",
    "Most of the volunteers arrived early and stayed until the last table was folded.",
    "The startup raised a seed round to build tools for small accounting firms.",
    "Heavy snow closed the mountain pass, stranding dozens of trucks overnight.",
    "Use a soft brush to clean the lens, never a paper towel.",
    "The novel follows three generations of a family running a bakery in Lisbon.",
    "Our API returns JSON by default, but you can request CSV with a query parameter.",
    "The bridge inspection found corrosion on several steel cables near the north tower.",
    "Children under twelve must be accompanied by an adult in the swimming pool.",
    "The orchestra tuned their instruments while the audience found their seats.",
    "I can't find my keys anywhere; maybe I left them at the office.",
    "The price of coffee beans has doubled since last year's poor harvest.",
    "Language models can summarise long reports, but they still make factual mistakes.",
    "The old farmhouse was converted into a guesthouse with five bright rooms.",
    "Please submit your expense reports by Friday so finance can close the books.",
    "Researchers tracked the migration of whales using small satellite tags.",
    "A good night's sleep improves memory, mood, and concentration.",
    "The software update fixes a crash that occurred when opening very large files.",
    "Our flight was delayed by three hours because of a mechanical inspection.",
    "The city council approved a plan to plant ten thousand trees over five years.",
    "The recipe calls for two eggs, a cup of flour, and a pinch of salt.",
    "When the power went out, we played board games by candlelight.",
    "The telescope captured detailed images of a galaxy 50 million light years away.",
    "Version 2.3 adds support for Python 3.12 and drops support for Python 3.8.",
    "The farmer's market opens at seven and is usually sold out of strawberries by nine.",
    "Interest rates remained unchanged after the central bank's latest meeting.",
    "The team rewrote the search index, cutting average query latency by half.",
    "A stray dog followed us home from the beach and never left.",
    "The students built a weather station that uploads readings every five minutes.",
    "Avoid storing passwords in plain text; use a slow, salted hash instead.",
    "The festival features food stalls, live music, and fireworks over the harbour.",
    "Our warehouse ships most orders within one business day.",
    "The documentary explores how coral reefs recover after bleaching events.",
    "Make sure the ladder is stable before you climb onto the roof.",
    "The final chapter reveals that the narrator had been lying from the start.",
    "Battery prices have fallen sharply, making electric buses cheaper to run.",
    "The chess tournament lasted nine rounds and ended in a three-way tie.",
    "Wash your hands with soap for at least twenty seconds.",
    "The printer on the third floor is out of toner again.",
    "This paper proposes a simple baseline that outperforms several complex methods.",
    "The bakery on the corner sells out of croissants before eight every Saturday.",
    "Turn left at the second traffic light and the hospital is on your right.",
    "The river delta supports hundreds of species of migratory birds.",
    "Unit tests should be fast, deterministic, and independent of one another.",
    "The hotel upgraded us to a suite because our original room was not ready.",
    "A sudden frost damaged much of the vineyard's early harvest.",
    "The conference talks will be recorded and posted online within a week.",
    "My grandmother still writes letters by hand and sends them by post.",
    "The robot vacuum got stuck under the sofa for the third time today.",
    "Engineers replaced the aging water pipes beneath the main street.",
    "Fresh snow, clear skies, and no wind: a perfect day for skiing.",
    "The survey found that most respondents prefer working from home two days a week.",
    "The price includes breakfast, airport transfer, and a guided city tour.",
    "Never run untrusted code with administrator privileges.",
    "The goalkeeper saved a penalty in the final minute to secure the win.",
    "Our neighbourhood library now lends tools, board games, and sewing machines.",
    "The algorithm runs in linear time and uses constant extra memory.",
    "The ferry crossing takes about forty minutes in calm weather.",
    "He apologised for the misunderstanding and offered to pay for the damage.",
    "The exhibition brings together paintings from twelve private collections.",
    "Drink plenty of water when hiking in hot weather.",
    "The server logs show a spike in failed login attempts around midnight.",
    "Our team will migrate the remaining services to the new cluster next quarter.",
    "The waiter recommended the grilled fish with lemon and capers.",
    "Volcanic ash disrupted flights across the region for several days.",
    "The kindergarten teacher read a story about a brave little turtle.",
    "Compression reduced the file size from 120 megabytes to just 18.",
    "The marathon route passes through six neighbourhoods and two parks.",
    "I prefer tea in the morning and coffee after lunch.",
    "The contract must be signed by both parties before work can begin.",
    "Thanks to the new vaccine, cases dropped sharply within a few months.",
    "The camera's autofocus struggles in low light but is quick outdoors.",
    "After the storm, neighbours worked together to clear fallen branches from the road.",
    "In 2023 the company opened offices in Osaka, Berlin, and São Paulo.",
    "Our model scores 0.84 on the benchmark, up from 0.79 for the previous release.",
    "Please do not feed the ducks bread; it is bad for their health.",
    "We measured the throughput on a two-core machine with the page cache warm.",
    "The quick brown fox jumps over the lazy dog near the riverbank at dawn.",
    "When you search for a document, the system compares the embedding of your query with "
    "the embeddings of every stored passage and returns the closest matches first.",
    "The city's first subway line opened more than a century ago, and although the trains "
    "have been replaced several times, some of the original tiled stations still survive.",
    "Because the embedding table is memory-mapped, only the rows that a batch actually uses "
    "are read from disk, which keeps both load time and resident memory small.",
    "After months of negotiation, the two companies agreed to share their charging networks, "
    "allowing drivers of either brand to use thousands of additional stations.",
    "Good documentation explains not only how to call a function but also why it exists, "
    "what it assumes about its inputs, and what it does when those assumptions fail.",
    "The expedition spent three weeks crossing the ice sheet, pulling sledges loaded with "
    "food, fuel, and scientific instruments for measuring snow density.",
    "Although the recipe looks complicated, most of the time is spent waiting for the dough "
    "to rise, so the actual work takes less than half an hour.",
    "The report recommends improving bus frequency on the busiest routes, adding protected "
    "bike lanes, and lowering fares for students and older residents.",
]

JAPANESE: list[str] = [
    "こんにちは。",
    "ありがとう。",
    "おはようございます。",
    "駅はどこですか。",
    "会議は木曜日に変更になりました。",
    "出かける前に窓を閉めてください。",
    "昨夜は一晩中雨が降ったので、今朝は川の水位が高い。",
    "このノートパソコンは満充電で約六時間使えます。",
    "仕事をしようとしたら、猫が暖かいキーボードの上で寝ていた。",
    "ピザを二枚とサラダ、それに多すぎるほどのパンを注文した。",
    "静的埋め込みモデルはトランスフォーマーを使わずにトークンのベクトルを平均します。",
    "コサイン類似度が0.92なら、二つの文はほぼ同じ意味だと考えられる。",
    "埋め込み表はメモリマップで読み込むので、ロードはほとんど一瞬で終わります。",
    "トークナイザーは文章を語彙に含まれるサブワードに分割します。",
    "新しい路線のおかげで、通勤時間が九十分から一時間弱に短縮された。",
    "彼女は庭の南側にトマトとバジルとピーマンを植えた。",
    "第3四半期の売上は前年同期比で14%増加しました。",
    "博物館は東館の改修を終え、来年の春に再開館する予定です。",
    "オーブンを200度に予熱し、パンを35分焼いてください。",
    "彼は四十歳でチェロを始め、今では市民オーケストラで演奏している。",
    "登山道は尾根に着くまで二キロほど急な上り坂が続く。",
    "サポートチームは、ほとんどの問い合わせに四営業時間以内で回答しています。",
    "学校の屋上の太陽光パネルが、電力の約三分の一をまかなっている。",
    "近くで雷が鳴ったため、審判は試合を十分間中断した。",
    "移行スクリプトを実行する前に、必ずデータベースをバックアップしてください。",
    "委員会は月末に提言をまとめて公表する。",
    "日付の解析処理の小さな不具合で、一月のレポートに前年の年が表示されていた。",
    "その灯台は1874年から岩だらけの岬を回る船を導いてきた。",
    "ボランティアの多くは早めに来て、最後の机を片付けるまで残ってくれた。",
    "大雪で峠道が通行止めになり、多くのトラックが一晩立ち往生した。",
    "レンズの掃除には柔らかいブラシを使い、ペーパータオルは使わないこと。",
    "このAPIは標準でJSONを返しますが、クエリパラメータでCSVも指定できます。",
    "十二歳未満の子どもがプールを利用する際は、大人の付き添いが必要です。",
    "鍵が見つからない。もしかしたら会社に置いてきたのかもしれない。",
    "昨年の不作の影響で、コーヒー豆の価格は倍になった。",
    "大規模言語モデルは長い報告書を要約できるが、事実の誤りもまだ多い。",
    "古い農家は、明るい五つの客室を持つゲストハウスに改装された。",
    "経理が締め作業を進められるよう、金曜日までに経費精算を提出してください。",
    "研究者たちは小型の衛星タグを使ってクジラの回遊を追跡した。",
    "十分な睡眠は記憶力、気分、集中力を高める。",
    "今回のアップデートで、大きなファイルを開くと落ちる不具合が修正されました。",
    "機体の点検のため、私たちの便は三時間遅れた。",
    "市議会は五年間で一万本の木を植える計画を承認した。",
    "停電したので、ろうそくの明かりでボードゲームをして過ごした。",
    "望遠鏡は五千万光年先の銀河の詳細な画像をとらえた。",
    "バージョン2.3ではPython 3.12に対応し、Python 3.8のサポートを終了します。",
    "朝市は七時に始まり、九時にはたいていイチゴが売り切れている。",
    "中央銀行は最新の会合で政策金利を据え置いた。",
    "検索インデックスを書き直した結果、平均応答時間が半分になった。",
    "海岸から野良犬がついてきて、そのまま家に住みついた。",
    "生徒たちは五分ごとに観測値を送信する気象観測装置を作った。",
    "パスワードを平文で保存してはいけない。時間のかかるソルト付きハッシュを使うこと。",
    "祭りには屋台や生演奏があり、夜には港の上に花火が上がる。",
    "倉庫からは、ほとんどの注文が一営業日以内に発送されます。",
    "このドキュメンタリーは、白化したサンゴ礁がどのように回復するかを描いている。",
    "屋根に上る前に、はしごが安定しているか確認してください。",
    "最終章で、語り手が最初から嘘をついていたことが明かされる。",
    "電池の価格が大きく下がり、電気バスの運行コストが安くなった。",
    "石けんで二十秒以上手を洗いましょう。",
    "三階のプリンターがまたトナー切れだ。",
    "本論文は、複数の複雑な手法を上回る単純なベースラインを提案する。",
    "二つ目の信号を左に曲がると、右手に病院があります。",
    "単体テストは高速で、結果が毎回同じで、互いに独立しているべきだ。",
    "部屋の準備が間に合わなかったため、ホテルはスイートに案内してくれた。",
    "急な霜でブドウ園の早生の収穫の多くが被害を受けた。",
    "講演は録画され、一週間以内にオンラインで公開されます。",
    "祖母は今でも手紙を手書きして郵便で送っている。",
    "ロボット掃除機が今日三回目のソファの下での立ち往生をした。",
    "新雪、快晴、無風。スキーには最高の一日だ。",
    "調査では、回答者の多くが週二日の在宅勤務を望んでいることがわかった。",
    "料金には朝食、空港送迎、市内観光ツアーが含まれています。",
    "信頼できないコードを管理者権限で実行してはいけない。",
    "ゴールキーパーが最後の一分でPKを止め、勝利を決めた。",
    "近所の図書館では工具やボードゲーム、ミシンも貸し出している。",
    "このアルゴリズムは線形時間で動作し、追加のメモリは定数しか使わない。",
    "穏やかな天気なら、フェリーで対岸まで約四十分かかる。",
    "彼は誤解を謝り、損害を弁償すると申し出た。",
    "暑い日に山歩きをするときは、水をたくさん飲みましょう。",
    "サーバーのログによると、深夜零時ごろにログイン失敗が急増していた。",
    "残りのサービスは来四半期に新しいクラスターへ移行する予定だ。",
    "火山灰の影響で、数日間にわたり地域全体の航空便が乱れた。",
    "圧縮によってファイルサイズは120メガバイトからわずか18メガバイトになった。",
    "朝は紅茶、昼食後はコーヒーを飲むのが好きです。",
    "作業を始める前に、契約書に双方が署名する必要がある。",
    "嵐のあと、近所の人たちが協力して道路に倒れた枝を片付けた。",
    "2023年、同社は大阪、ベルリン、サンパウロに事務所を開設した。",
    "新しいモデルのスコアは0.84で、前回の0.79から向上した。",
    "二コアのマシンで、ページキャッシュが温まった状態のスループットを測定しました。",
    "東京は日本の首都で、世界でも有数の大都市です。",
    "京都の古いお寺では、秋になると紅葉を見に多くの人が訪れる。",
    "北海道の冬は厳しいが、雪まつりの時期には観光客でにぎわう。",
    "この店のラーメンは、豚骨スープと細麺の組み合わせが人気だ。",
    "明日の天気は曇りのち雨、最高気温は十八度の予報です。",
    "新幹線で東京から大阪までは二時間半ほどで行ける。",
    "子どもたちは夏休みの宿題で朝顔の観察日記をつけている。",
    "桜の開花は例年より一週間早く、三月下旬に見頃を迎えた。",
    "ＡＢＣ株式会社の２０２４年度決算は増収増益となった。",
    "ｶﾀｶﾅの半角表記は、古いシステムの帳票でよく見かける。",
    "日本語とEnglishが混ざったmixedな文章も正しく処理できるか確認する。",
    "READMEに書かれた手順どおりにpip installを実行すれば、すぐに使い始められます。",
    "検索システムは、質問文の埋め込みと保存された各文書の埋め込みを比較し、最も近いものから順に返す。",
    "この地下鉄の最初の路線は百年以上前に開業し、車両は何度も入れ替わったが、当時のタイル張りの駅がいくつか今も残っている。",
    "埋め込み表をメモリマップで扱うため、ディスクから読むのはバッチで実際に使う行だけであり、ロード時間も常駐メモリも小さく抑えられる。",
    "数か月の交渉の末、両社は充電網を相互に開放することで合意し、どちらのブランドの車でも数千か所の充電スタンドを追加で使えるようになった。",
    "よいドキュメントは関数の呼び出し方だけでなく、なぜその関数があるのか、入力に何を仮定しているのか、仮定が崩れたときに何が起きるのかも説明する。",
    "探検隊は三週間かけて氷床を横断し、食料や燃料、雪の密度を測る観測機器を積んだそりを引いて進んだ。",
    "レシピは複雑に見えるが、ほとんどの時間は生地の発酵を待つだけなので、実際の作業は三十分もかからない。",
    "報告書は、利用者の多い路線でのバスの増便、分離された自転車レーンの整備、学生と高齢者の運賃引き下げを提言している。",
    "深層学習の発展により機械翻訳の品質は大きく向上したが、専門用語や固有名詞の扱いにはまだ課題が残っている。",
    "地震の多い日本では、建物の耐震基準が定期的に見直され、古い建物には補強工事が求められている。",
]

MIXED: list[str] = [
    "Tokyo Station（東京駅）is about five minutes on foot from here.",
    "We tested the model on 日本語 and English queries side by side.",
    "The word 「ありがとう」 means thank you.",
    "Error: ファイルが見つかりません (file not found).",
    "Let's meet at 渋谷 at 7pm, OK?",
    "ユーザーIDとpasswordを入力してLoginボタンを押してください。",
    "GPU不要、numpyだけでembeddingを計算できます。",
    "Sushi, ramen, and tempura are popular 日本料理 abroad.",
    "「静的埋め込み」は英語で static embeddings と呼ばれる。",
    "The invoice total is ¥12,800 including 消費税.",
]

SENTENCES: list[str] = [*ENGLISH, *JAPANESE, *MIXED]

DOCUMENTS: list[str] = [
    "Static embedding models are the simplest kind of sentence encoder that still works well "
    "in practice. Each token in the vocabulary owns one row of a large table, and the vector "
    "for a sentence is the average of the rows of its tokens. There is no attention, no "
    "positional information and no non-linearity beyond an optional element-wise head.\n\n"
    "Because the work per token is a single table lookup, encoding is limited by how quickly "
    "the text can be split into tokens and how quickly the rows can be summed. On a laptop "
    "CPU this means tens of thousands of sentences per second, which makes static models "
    "attractive for indexing large collections, for edge devices, and for command-line tools "
    "that must start instantly.\n\n"
    "The trade-off is quality. A static model cannot tell that the word bank means something "
    "different in a sentence about rivers than in one about money. Distillation from a "
    "larger transformer recovers a surprising share of that quality, and contrastive training "
    "on large paired data sets recovers more, but the gap to a full transformer remains.",
    "東京の朝は早い。始発電車が動き出す午前五時ごろには、すでに駅の周りで仕事を始める人たちがいる。"
    "コンビニの店員は棚に弁当を並べ、清掃員は夜のうちに散らかった歩道を片付けていく。\n\n"
    "七時を過ぎると、通勤ラッシュが始まる。ホームには整然と列ができ、満員の電車が数分おきに到着する。"
    "車内では多くの人がスマートフォンでニュースを読んだり、動画を見たりしている。"
    "驚くほど静かで、聞こえるのは車内放送と線路の音だけだ。\n\n"
    "昼になると、オフィス街の飲食店には長い行列ができる。"
    "定食屋では焼き魚や唐揚げが手早く提供され、客は二十分ほどで食事を終えて職場に戻っていく。"
    "夜には居酒屋が賑わい、一日の疲れを癒やす人々の声が路地に響く。",
    "Release notes for version 2.0.\n\n"
    "Loading is now lazy: the embedding table is memory-mapped and only the rows needed by a "
    "batch are read from disk. On our test machine, the time from process start to the first "
    "embedding dropped from 1.8 seconds to 120 milliseconds.\n\n"
    "The tokenizer has been rewritten. It reads the same tokenizer.json files as before and "
    "produces identical token ids, but it no longer needs a compiled extension. If you relied "
    "on the old keyword argument fast=True, remove it; it is ignored and will be removed in "
    "the next major release.\n\n"
    "Breaking changes: the encode method now returns float32 arrays even when the table is "
    "stored in float16, and empty strings produce zero vectors instead of raising an error. "
    "Python 3.8 is no longer supported.\n\n"
    "Known issues: very long inputs (more than one million characters) are truncated silently "
    "by some tokenizers. We plan to add a warning in a future version.",
    "機械学習モデルを本番環境で運用するには、精度だけでなく速度やメモリ使用量も重要になる。"
    "特に検索システムでは、利用者の質問に数十ミリ秒以内で応答することが求められる。\n\n"
    "静的埋め込みモデルは、この要件に非常によく合う。"
    "トークンごとのベクトルを平均するだけなので、GPUがなくても高速に動作し、"
    "モデルの読み込みもメモリマップを使えば一瞬で終わる。"
    "一方で、文脈によって単語の意味が変わる場合には対応できないという弱点がある。\n\n"
    "実際の導入では、まず静的モデルで候補を絞り込み、その後に大きなモデルで並べ替える二段階の構成がよく使われる。"
    "この方法なら、速度と精度のバランスを取りながら、運用コストを抑えることができる。\n\n"
    "評価には、実際の検索ログから作った質問と正解文書の組を使うのが望ましい。"
    "公開ベンチマークの数値が高くても、自社のデータでは期待どおりに動かないことがあるからだ。",
    "Dear team,\n\n"
    "Thank you all for your hard work during the office move last week. Despite the delays "
    "with the elevator and the missing network cables on the fourth floor, everyone was "
    "able to work normally by Wednesday morning.\n\n"
    "A few reminders. The new badge readers are now active on all doors, so please carry "
    "your badge at all times. The kitchen on the third floor is shared with the design "
    "team; label your food and clean up after yourself. Meeting rooms can be booked "
    "through the calendar as before, but the room names have changed: the large room is "
    "now called Harbour and the two small rooms are Pine and Cedar.\n\n"
    "Finally, we will hold a small welcome party on Friday at five. Snacks and drinks will "
    "be provided. Families are welcome.\n\n"
    "Best regards,\nFacilities",
    "京都の紅葉は十一月中旬から下旬にかけて見頃を迎える。"
    "東福寺の通天橋から眺める谷一面の紅葉は特に有名で、毎年多くの観光客が訪れる。\n\n"
    "混雑を避けたいなら、朝早い時間に出かけるのがよい。"
    "開門直後であれば人も少なく、静かな境内で落ち着いて景色を楽しめる。"
    "また、少し郊外にある大原や高雄の寺も、市内ほど混まずに美しい紅葉が見られる。\n\n"
    "移動にはバスが便利だが、紅葉の季節は道路が渋滞しやすい。"
    "電車と徒歩を組み合わせて回る計画を立てておくと、思いのほか多くの場所を訪ねることができる。"
    "歩きやすい靴と、朝晩の冷え込みに備えた上着を忘れずに。",
    "How to choose a tokenizer for a static model.\n\n"
    "The tokenizer decides which rows of the table a sentence uses, so it shapes the model "
    "as much as the weights do. A WordPiece vocabulary of thirty thousand English pieces is "
    "compact and fast, but it splits Japanese and Chinese text into single characters and "
    "maps many rare scripts to the unknown token.\n\n"
    "A multilingual vocabulary of a hundred thousand pieces or more covers most scripts, at "
    "the cost of a table three or four times larger. Quantising the table to four bits per "
    "value brings a one-gigabyte model down to about two hundred megabytes with little loss.\n\n"
    "Unigram and BPE tokenizers trained with sentencepiece handle text without spaces well "
    "and are common in multilingual models. They are slower to run in pure Python because "
    "they need a lattice search or repeated merges, so a careful implementation caches the "
    "result for each word it has already seen.",
    "Meeting notes / 議事録 (2024-05-14)\n\n"
    "Attendees: Sato, Miller, Tanaka, Garcia. 出席者は四名。\n\n"
    "1. Benchmark results: the new runtime processes about 40,000 sentences per second on "
    "two cores. 前回より約二倍速い。Memory use stays below 60 MB for the English model.\n\n"
    "2. 多言語モデルの件: the 105k-token vocabulary doubles the table size. "
    "4ビット量子化を試したところ、精度の低下は0.3ポイント以内だった。\n\n"
    "3. Next steps: Tanaka will write the Japanese README, Garcia will add the Windows CI "
    "job, and Miller will prepare the release notes. 次回の打ち合わせは来週火曜日。",
]


def repeat_to(texts: list[str], n: int) -> list[str]:
    """The first ``n`` texts of ``texts`` repeated end to end (``n`` may exceed ``len(texts)``)."""
    if not texts:
        raise ValueError("repeat_to needs at least one text")
    full, rest = divmod(n, len(texts))
    return texts * full + texts[:rest]
