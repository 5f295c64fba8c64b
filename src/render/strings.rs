//! The words of the interface (search, backlinks, contents, tags, "unpublished note"…) in the garden's
//! `language`: built-in translations for English, Chinese, Japanese, Korean, Spanish, French, German, Portuguese
//! and Russian, and `[strings]` in `loam.toml` over them, key by key. Pure.

use std::collections::BTreeMap;

use crate::config::Config;

/// The languages with built-in words, in the order of each row of [`WORDS`].
const LANGUAGES: [&str; 9] = ["en", "zh", "ja", "ko", "es", "fr", "de", "pt", "ru"];

/// Each key, then its words in each of [`LANGUAGES`].
const WORDS: &[(&str, [&str; 9])] = &[
    ("search", ["Search", "搜索", "検索", "검색", "Buscar", "Rechercher", "Suchen", "Pesquisar", "Поиск"]),
    (
        "search_label",
        [
            "Search the garden",
            "搜索花园",
            "ガーデンを検索",
            "가든 검색",
            "Buscar en el jardín",
            "Rechercher dans le jardin",
            "Im Garten suchen",
            "Pesquisar no jardim",
            "Поиск по саду",
        ],
    ),
    (
        "search_results",
        [
            "Search results",
            "搜索结果",
            "検索結果",
            "검색 결과",
            "Resultados de la búsqueda",
            "Résultats de la recherche",
            "Suchergebnisse",
            "Resultados da pesquisa",
            "Результаты поиска",
        ],
    ),
    ("close", ["Close", "关闭", "閉じる", "닫기", "Cerrar", "Fermer", "Schließen", "Fechar", "Закрыть"]),
    ("graph", ["Graph", "关系图", "グラフ", "그래프", "Grafo", "Graphe", "Graph", "Grafo", "Граф"]),
    ("tags_title", ["Tags", "标签", "タグ", "태그", "Etiquetas", "Étiquettes", "Tags", "Etiquetas", "Теги"]),
    ("menu", ["Menu", "菜单", "メニュー", "메뉴", "Menú", "Menu", "Menü", "Menu", "Меню"]),
    (
        "skip",
        [
            "Skip to content",
            "跳到正文",
            "本文へスキップ",
            "본문으로 건너뛰기",
            "Saltar al contenido",
            "Aller au contenu",
            "Zum Inhalt springen",
            "Pular para o conteúdo",
            "Перейти к содержимому",
        ],
    ),
    (
        "explorer",
        ["Explorer", "目录", "エクスプローラー", "탐색기", "Explorador", "Explorateur", "Explorer", "Explorador", "Обзор"],
    ),
    (
        "recent",
        [
            "Recent notes",
            "最近的笔记",
            "最近のノート",
            "최근 노트",
            "Notas recientes",
            "Notes récentes",
            "Neueste Notizen",
            "Notas recentes",
            "Недавние заметки",
        ],
    ),
    (
        "published_with",
        [
            "Published with Loam",
            "由 Loam 发布",
            "Loam で公開",
            "Loam으로 게시됨",
            "Publicado con Loam",
            "Publié avec Loam",
            "Veröffentlicht mit Loam",
            "Publicado com Loam",
            "Опубликовано с помощью Loam",
        ],
    ),
    ("contents", ["Contents", "目录", "目次", "목차", "Contenido", "Sommaire", "Inhalt", "Conteúdo", "Содержание"]),
    (
        "backlinks_title",
        [
            "Backlinks",
            "反向链接",
            "バックリンク",
            "백링크",
            "Enlaces entrantes",
            "Rétroliens",
            "Rückverweise",
            "Links de entrada",
            "Обратные ссылки",
        ],
    ),
    (
        "no_backlinks",
        [
            "No backlinks",
            "没有反向链接",
            "バックリンクはありません",
            "백링크 없음",
            "Sin enlaces entrantes",
            "Aucun rétrolien",
            "Keine Rückverweise",
            "Nenhum link de entrada",
            "Нет обратных ссылок",
        ],
    ),
    (
        "show_explorer",
        [
            "Show the folders and notes",
            "显示文件夹和笔记",
            "フォルダとノートを表示",
            "폴더와 노트 보기",
            "Mostrar las carpetas y notas",
            "Afficher les dossiers et les notes",
            "Ordner und Notizen anzeigen",
            "Mostrar as pastas e notas",
            "Показать папки и заметки",
        ],
    ),
    (
        "show_graph",
        [
            "Show the graph",
            "显示关系图",
            "グラフを表示",
            "그래프 보기",
            "Mostrar el grafo",
            "Afficher le graphe",
            "Graph anzeigen",
            "Mostrar o grafo",
            "Показать граф",
        ],
    ),
    (
        "open_graph",
        [
            "Open the full graph",
            "打开完整关系图",
            "グラフ全体を開く",
            "전체 그래프 열기",
            "Abrir el grafo completo",
            "Ouvrir le graphe complet",
            "Ganzen Graphen öffnen",
            "Abrir o grafo completo",
            "Открыть весь граф",
        ],
    ),
    ("notes", ["Notes", "笔记", "ノート", "노트", "Notas", "Notes", "Notizen", "Notas", "Заметки"]),
    (
        "nothing_here",
        [
            "Nothing published here yet.",
            "这里还没有发布任何内容。",
            "ここにはまだ何も公開されていません。",
            "아직 게시된 내용이 없습니다.",
            "Aún no hay nada publicado aquí.",
            "Rien n'est encore publié ici.",
            "Hier ist noch nichts veröffentlicht.",
            "Nada publicado aqui ainda.",
            "Здесь пока ничего не опубликовано.",
        ],
    ),
    (
        "not_found",
        [
            "Page not found",
            "找不到页面",
            "ページが見つかりません",
            "페이지를 찾을 수 없습니다",
            "Página no encontrada",
            "Page introuvable",
            "Seite nicht gefunden",
            "Página não encontrada",
            "Страница не найдена",
        ],
    ),
    (
        "not_found_text",
        [
            "There is nothing at this address. It may have been moved, renamed or never published.",
            "此地址没有内容。它可能已被移动、重命名或从未发布。",
            "このアドレスには何もありません。移動、名前の変更、または公開されていない可能性があります。",
            "이 주소에는 아무것도 없습니다. 이동되었거나 이름이 바뀌었거나 게시되지 않았을 수 있습니다.",
            "No hay nada en esta dirección. Puede que se haya movido, cambiado de nombre o que nunca se publicara.",
            "Il n'y a rien à cette adresse. La page a peut-être été déplacée, renommée ou jamais publiée.",
            "Unter dieser Adresse gibt es nichts. Die Seite wurde vielleicht verschoben, umbenannt oder nie veröffentlicht.",
            "Não há nada neste endereço. Pode ter sido movido, renomeado ou nunca publicado.",
            "По этому адресу ничего нет. Возможно, страницу переместили, переименовали или не опубликовали.",
        ],
    ),
    (
        "go_home",
        [
            "Go to the home page",
            "前往首页",
            "ホームページへ",
            "홈페이지로 가기",
            "Ir a la página de inicio",
            "Aller à l'accueil",
            "Zur Startseite",
            "Ir para a página inicial",
            "На главную",
        ],
    ),
    ("home", ["Home", "首页", "ホーム", "홈", "Inicio", "Accueil", "Start", "Início", "Главная"]),
    (
        "moved_to",
        ["Moved to", "已移至", "移動先:", "이동됨:", "Movido a", "Déplacé vers", "Verschoben nach", "Movido para", "Перемещено в"],
    ),
    (
        "unpublished",
        [
            "unpublished note",
            "未发布的笔记",
            "非公開のノート",
            "게시되지 않은 노트",
            "nota no publicada",
            "note non publiée",
            "unveröffentlichte Notiz",
            "nota não publicada",
            "неопубликованная заметка",
        ],
    ),
    (
        "published",
        ["Published", "发布于", "公開", "게시", "Publicado", "Publié", "Veröffentlicht", "Publicado", "Опубликовано"],
    ),
    ("created", ["Created", "创建于", "作成", "작성", "Creado", "Créé", "Erstellt", "Criado", "Создано"]),
    (
        "updated",
        ["Updated", "更新于", "更新", "수정", "Actualizado", "Mis à jour", "Aktualisiert", "Atualizado", "Обновлено"],
    ),
    (
        "edited",
        [
            "Last edited",
            "最后编辑",
            "最終編集",
            "마지막 편집",
            "Última edición",
            "Dernière modification",
            "Zuletzt bearbeitet",
            "Última edição",
            "Последняя правка",
        ],
    ),
    (
        "contributor",
        ["Contributor", "贡献者", "寄稿者", "기여자", "Colaborador", "Contributeur", "Mitwirkender", "Colaborador", "Автор"],
    ),
    (
        "contributors",
        ["Contributors", "贡献者", "寄稿者", "기여자", "Colaboradores", "Contributeurs", "Mitwirkende", "Colaboradores", "Авторы"],
    ),
    ("theme", ["Theme", "主题", "テーマ", "테마", "Tema", "Thème", "Design", "Tema", "Тема"]),
    ("theme_auto", ["Auto", "自动", "自動", "자동", "Automático", "Auto", "Automatisch", "Automático", "Авто"]),
    ("theme_light", ["Light", "浅色", "ライト", "밝게", "Claro", "Clair", "Hell", "Claro", "Светлая"]),
    ("theme_dark", ["Dark", "深色", "ダーク", "어둡게", "Oscuro", "Sombre", "Dunkel", "Escuro", "Тёмная"]),
    (
        "switch_to",
        ["Switch to", "切换到", "切り替え:", "전환:", "Cambiar a", "Passer à", "Wechseln zu", "Mudar para", "Переключить на"],
    ),
    (
        "no_matches",
        [
            "No notes match",
            "没有匹配的笔记：",
            "一致するノートはありません:",
            "일치하는 노트 없음:",
            "Ninguna nota coincide con",
            "Aucune note ne correspond à",
            "Keine Notiz passt zu",
            "Nenhuma nota corresponde a",
            "Нет заметок по запросу",
        ],
    ),
    (
        "search_not_ready",
        [
            "The search index is being made; the search runs again by itself in a moment.",
            "正在生成搜索索引，稍后将自动重新搜索。",
            "検索インデックスを作成中です。まもなく自動的にもう一度検索します。",
            "검색 색인을 만드는 중입니다. 잠시 후 자동으로 다시 검색합니다.",
            "Se está creando el índice de búsqueda; la búsqueda se repetirá sola en un momento.",
            "L'index de recherche est en cours de création ; la recherche sera relancée d'elle-même dans un instant.",
            "Der Suchindex wird gerade erstellt; die Suche läuft gleich von selbst noch einmal.",
            "O índice de pesquisa está sendo criado; a pesquisa será repetida automaticamente em instantes.",
            "Поисковый индекс создаётся; поиск повторится сам через мгновение.",
        ],
    ),
    (
        "task_done",
        ["done", "已完成", "完了", "완료", "hecho", "fait", "erledigt", "feito", "выполнено"],
    ),
    (
        "task_todo",
        ["to do", "待办", "未完了", "할 일", "pendiente", "à faire", "offen", "pendente", "не выполнено"],
    ),
    (
        "search_failed",
        [
            "The search index could not be loaded.",
            "无法加载搜索索引。",
            "検索インデックスを読み込めませんでした。",
            "검색 색인을 불러올 수 없습니다.",
            "No se pudo cargar el índice de búsqueda.",
            "L'index de recherche n'a pas pu être chargé.",
            "Der Suchindex konnte nicht geladen werden.",
            "Não foi possível carregar o índice de pesquisa.",
            "Не удалось загрузить поисковый индекс.",
        ],
    ),
    (
        "missing_section",
        [
            "Unable to find section",
            "找不到章节",
            "セクションが見つかりません",
            "섹션을 찾을 수 없습니다",
            "No se encuentra la sección",
            "Section introuvable",
            "Abschnitt nicht gefunden",
            "Seção não encontrada",
            "Раздел не найден",
        ],
    ),
    ("history", ["History", "历史", "履歴", "기록", "Historial", "Historique", "Verlauf", "Histórico", "История"]),
    ("compare", ["Compare", "比较", "比較", "비교", "Comparar", "Comparer", "Vergleichen", "Comparar", "Сравнить"]),
    (
        "who_wrote_what",
        [
            "Who wrote what",
            "谁写了什么",
            "誰が何を書いたか",
            "누가 무엇을 썼는지",
            "Quién escribió qué",
            "Qui a écrit quoi",
            "Wer schrieb was",
            "Quem escreveu o quê",
            "Кто что написал",
        ],
    ),
    (
        "current_version",
        [
            "Current version",
            "当前版本",
            "現在の版",
            "현재 버전",
            "Versión actual",
            "Version actuelle",
            "Aktuelle Version",
            "Versão atual",
            "Текущая версия",
        ],
    ),
    ("text_as_read", ["Text", "文本", "テキスト", "텍스트", "Texto", "Texte", "Text", "Texto", "Текст"]),
    (
        "saves",
        ["saves", "次保存", "回の保存", "번 저장", "guardados", "enregistrements", "Speicherungen", "salvamentos", "сохранений"],
    ),
    (
        "unchanged_words",
        [
            "unchanged words",
            "个词未改动",
            "語は変更なし",
            "개 단어 변경 없음",
            "palabras sin cambios",
            "mots inchangés",
            "unveränderte Wörter",
            "palavras inalteradas",
            "слов без изменений",
        ],
    ),
    ("older", ["Older", "更早", "古い編集", "이전", "Anteriores", "Plus anciens", "Älter", "Anteriores", "Раньше"]),
    ("newer", ["Newer", "更新", "新しい編集", "최신", "Más recientes", "Plus récents", "Neuer", "Mais recentes", "Позже"]),
    (
        "old_version",
        [
            "An earlier version of this page",
            "此页面的早期版本",
            "このページの以前の版",
            "이 페이지의 이전 버전",
            "Una versión anterior de esta página",
            "Une version antérieure de cette page",
            "Eine frühere Version dieser Seite",
            "Uma versão anterior desta página",
            "Прежняя версия этой страницы",
        ],
    ),
    (
        "read_version",
        [
            "Read this version",
            "阅读此版本",
            "この版を読む",
            "이 버전 읽기",
            "Leer esta versión",
            "Lire cette version",
            "Diese Version lesen",
            "Ler esta versão",
            "Читать эту версию",
        ],
    ),
    (
        "compare_with_current",
        [
            "What changed since",
            "此后的改动",
            "それ以降の変更",
            "이후 바뀐 내용",
            "Qué cambió desde entonces",
            "Ce qui a changé depuis",
            "Was sich seitdem geändert hat",
            "O que mudou desde então",
            "Что изменилось с тех пор",
        ],
    ),
    (
        "changed_since_visit",
        [
            "This page changed since you last read it",
            "自您上次阅读以来，此页面已更改",
            "前回読んだ後にこのページは変更されました",
            "마지막으로 읽은 뒤 이 페이지가 바뀌었습니다",
            "Esta página cambió desde tu última lectura",
            "Cette page a changé depuis votre dernière lecture",
            "Diese Seite hat sich seit Ihrem letzten Besuch geändert",
            "Esta página mudou desde a sua última leitura",
            "Страница изменилась с вашего последнего прочтения",
        ],
    ),
    (
        "see_changes",
        [
            "See what changed",
            "查看改动",
            "変更を見る",
            "바뀐 내용 보기",
            "Ver qué cambió",
            "Voir ce qui a changé",
            "Änderungen ansehen",
            "Ver o que mudou",
            "Посмотреть изменения",
        ],
    ),
    (
        "recent_changes",
        [
            "Recent changes",
            "最近更改",
            "最近の変更",
            "최근 바뀜",
            "Cambios recientes",
            "Modifications récentes",
            "Letzte Änderungen",
            "Mudanças recentes",
            "Свежие правки",
        ],
    ),
    (
        "feed",
        [
            "Atom feed",
            "Atom 订阅",
            "Atom フィード",
            "Atom 피드",
            "Canal Atom",
            "Flux Atom",
            "Atom-Feed",
            "Feed Atom",
            "Лента Atom",
        ],
    ),
    (
        "author",
        [
            "Author",
            "作者",
            "著者",
            "작성자",
            "Autor",
            "Auteur",
            "Autor",
            "Autor",
            "Автор",
        ],
    ),
    (
        "folder",
        [
            "Folder",
            "文件夹",
            "フォルダー",
            "폴더",
            "Carpeta",
            "Dossier",
            "Ordner",
            "Pasta",
            "Папка",
        ],
    ),
    (
        "tag",
        [
            "Tag",
            "标签",
            "タグ",
            "태그",
            "Etiqueta",
            "Étiquette",
            "Tag",
            "Etiqueta",
            "Тег",
        ],
    ),
    (
        "filter",
        [
            "Filter",
            "筛选",
            "絞り込む",
            "필터",
            "Filtrar",
            "Filtrer",
            "Filtern",
            "Filtrar",
            "Отобрать",
        ],
    ),
    (
        "no_changes",
        [
            "No changes.",
            "没有更改。",
            "変更はありません。",
            "바뀐 내용이 없습니다.",
            "No hay cambios.",
            "Aucune modification.",
            "Keine Änderungen.",
            "Nenhuma mudança.",
            "Изменений нет.",
        ],
    ),
    (
        "notes_changed",
        [
            "Notes they changed",
            "其修改过的笔记",
            "変更したノート",
            "바꾼 노트",
            "Notas que cambió",
            "Notes modifiées",
            "Geänderte Notizen",
            "Notas que alterou",
            "Изменённые заметки",
        ],
    ),
    ("from_version", ["From", "从", "比較元", "부터", "Desde", "De", "Von", "De", "С"]),
    ("to_version", ["To", "到", "比較先", "까지", "Hasta", "À", "Bis", "Até", "По"]),
    (
        "graph_intro",
        [
            "Every published note, and the links between them. Drag to pan, scroll to zoom, click a note to open it.",
            "每一篇已发布的笔记及其之间的链接。拖动以平移，滚动以缩放，点击笔记即可打开。",
            "公開されたすべてのノートとその間のリンク。ドラッグで移動、スクロールで拡大縮小、ノートをクリックで開きます。",
            "게시된 모든 노트와 그 사이의 링크. 드래그하여 이동하고, 스크롤하여 확대·축소하고, 노트를 클릭하여 엽니다.",
            "Todas las notas publicadas y los enlaces entre ellas. Arrastra para moverte, desplázate para ampliar y haz clic en una nota para abrirla.",
            "Toutes les notes publiées et les liens entre elles. Faites glisser pour vous déplacer, défilez pour zoomer, cliquez sur une note pour l’ouvrir.",
            "Alle veröffentlichten Notizen und die Links zwischen ihnen. Ziehen zum Verschieben, Scrollen zum Zoomen, Klicken öffnet eine Notiz.",
            "Todas as notas publicadas e os links entre elas. Arraste para mover, role para ampliar, clique numa nota para abri-la.",
            "Все опубликованные заметки и ссылки между ними. Перетаскивайте, чтобы двигать, прокручивайте, чтобы масштабировать, щёлкните заметку, чтобы открыть её.",
        ],
    ),
    (
        "graph_label",
        [
            "Graph of the garden's notes and links",
            "花园中笔记与链接的关系图",
            "ガーデンのノートとリンクのグラフ",
            "가든의 노트와 링크 그래프",
            "Grafo de las notas y enlaces del jardín",
            "Graphe des notes et des liens du jardin",
            "Graph der Notizen und Links des Gartens",
            "Grafo das notas e links do jardim",
            "Граф заметок и ссылок сада",
        ],
    ),
    (
        "graph_needs_js",
        [
            "The graph is drawn with JavaScript. Browse instead:",
            "关系图需要 JavaScript 才能显示。您可以改为浏览：",
            "グラフの表示には JavaScript が必要です。代わりにこちらをご覧ください：",
            "그래프는 JavaScript로 그려집니다. 대신 둘러보기:",
            "El grafo se dibuja con JavaScript. Puedes explorar en su lugar:",
            "Le graphe est dessiné avec JavaScript. Parcourez plutôt :",
            "Der Graph wird mit JavaScript gezeichnet. Stattdessen stöbern:",
            "O grafo é desenhado com JavaScript. Navegue em vez disso:",
            "Граф рисуется с помощью JavaScript. Вместо этого просмотрите:",
        ],
    ),
    (
        "graph_failed",
        [
            "The graph could not be drawn",
            "无法绘制关系图",
            "グラフを描画できませんでした",
            "그래프를 그릴 수 없습니다",
            "No se pudo dibujar el grafo",
            "Le graphe n’a pas pu être dessiné",
            "Der Graph konnte nicht gezeichnet werden",
            "Não foi possível desenhar o grafo",
            "Не удалось нарисовать граф",
        ],
    ),
    (
        "show_tags",
        [
            "Show tags",
            "显示标签",
            "タグを表示",
            "태그 표시",
            "Mostrar etiquetas",
            "Afficher les étiquettes",
            "Tags zeigen",
            "Mostrar etiquetas",
            "Показать теги",
        ],
    ),
    (
        "back_to_reference",
        [
            "Back to reference",
            "返回引用",
            "参照に戻る",
            "참조로 돌아가기",
            "Volver a la referencia",
            "Retour à la référence",
            "Zurück zur Referenz",
            "Voltar à referência",
            "Назад к ссылке",
        ],
    ),
    (
        "breadcrumb",
        ["Breadcrumb", "位置", "パンくずリスト", "이동 경로", "Ruta de navegación", "Fil d’Ariane", "Brotkrümelnavigation", "Trilha de navegação", "Навигационная цепочка"],
    ),
    ("site_nav", ["Site", "网站", "サイト", "사이트", "Sitio", "Site", "Website", "Site", "Сайт"]),
    ("garden_nav", ["Garden", "花园", "ガーデン", "가든", "Jardín", "Jardin", "Garten", "Jardim", "Сад"]),
    ("note_one", ["note", "篇笔记", "件のノート", "개의 노트", "nota", "note", "Notiz", "nota", "заметка"]),
    ("note_many", ["notes", "篇笔记", "件のノート", "개의 노트", "notas", "notes", "Notizen", "notas", "заметок"]),
];

/// Which of [`LANGUAGES`] a `language` setting means (`zh-CN` is `zh`); English for one without built-in words.
fn column(language: &str) -> usize {
    let primary = language.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    LANGUAGES.iter().position(|l| *l == primary).unwrap_or(0)
}

/// The interface's word for `key` in the garden's language: `[strings]` in `loam.toml`, else the built-in
/// translation, else English.
pub fn text<'c>(config: &'c Config, key: &str) -> &'c str {
    if let Some(own) = config.strings.get(key) {
        return own;
    }
    WORDS.iter().find(|(k, _)| *k == key).map_or("", |(_, words)| words[column(&config.language)])
}

/// Every word of the interface, by key, for templates (`strings.backlinks`).
pub fn all(config: &Config) -> BTreeMap<&'static str, &str> {
    WORDS.iter().map(|(key, _)| (*key, text(config, key))).collect()
}

/// The words the scripts in `static/` show (the theme button, search's messages, the graph's link), as a JSON
/// object for `<html data-strings>`: only those, since every page carries them.
pub fn for_scripts(config: &Config) -> String {
    const KEYS: [&str; 16] = [
        "theme",
        "theme_auto",
        "theme_light",
        "theme_dark",
        "switch_to",
        "search_results",
        "no_matches",
        "search_not_ready",
        "search_failed",
        "open_graph",
        "show_graph",
        "show_explorer",
        "show_tags",
        "graph_failed",
        "changed_since_visit",
        "see_changes",
    ];
    words_json(config, &KEYS)
}

/// The words `static/history.js` shows in a built site's history views, as JSON (`_history/_strings.json`,
/// fetched with a note's versions, so that pages do not carry them).
pub fn for_history(config: &Config) -> String {
    const KEYS: [&str; 17] = [
        "task_done",
        "task_todo",
        "history",
        "who_wrote_what",
        "current_version",
        "compare",
        "from_version",
        "to_version",
        "read_version",
        "saves",
        "newer",
        "older",
        "unchanged_words",
        "text_as_read",
        "old_version",
        "compare_with_current",
        "author",
    ];
    words_json(config, &KEYS)
}

/// The words of `keys` as a JSON object.
fn words_json(config: &Config, keys: &[&str]) -> String {
    let words: BTreeMap<&str, &str> = keys.iter().map(|key| (*key, text(config, key))).collect();
    serde_json::to_string(&words).unwrap_or_default()
}

/// The keys `[strings]` may set: any other is reported, since a misspelt one would be silently ignored.
pub fn is_key(key: &str) -> bool {
    WORDS.iter().any(|(k, _)| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_the_garden_s_language_with_its_own_over_them() {
        let mut config = Config { language: "zh-CN".into(), ..Config::default() };
        assert_eq!(text(&config, "backlinks_title"), "反向链接");
        config.language = "pt-BR".into();
        assert_eq!(text(&config, "search"), "Pesquisar");
        config.language = "eo".into();
        assert_eq!(text(&config, "search"), "Search", "English where there are no built-in words");
        config.strings.insert("search".into(), "Serĉi".into());
        assert_eq!(all(&config)["search"], "Serĉi");
        assert!(is_key("backlinks_title") && !is_key("backlinks"));
        // Every key has words in every language.
        for (key, words) in WORDS {
            assert!(words.iter().all(|w| !w.is_empty()), "{key}");
        }
    }
}
