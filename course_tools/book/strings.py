"""The book's own words in each edition: navigation labels, the front page and the lecture
titles and summaries (the notebooks' text comes from the notebooks themselves)."""

from __future__ import annotations

from course_tools.course import Lecture

#: language code -> HTML ``lang`` attribute and the label of the link that switches to it.
EDITIONS = {"en": ("en", "English"), "zh": ("zh-CN", "中文")}

ZH = {
    "Deep-learning fundamentals": "深度学习基础",
    "Contents": "目录",
    "Search": "搜索",
    "Search the book": "搜索本书",
    "Glossary": "术语表",
    "Notation": "符号表",
    "Home": "首页",
    "Homework": "作业",
    "Solution": "参考答案",
    "On this page": "本页内容",
    "lecture": "讲次",
    "homework": "作业",
    "notebook": "笔记本",
    "what you learn": "学习内容",
    "Figure": "图",
    "intro": (
        "七讲课程，从链式法则一直讲到一个完整的 PyTorch 项目。每个概念都先用 NumPy 从零实现，"
        "再与 PyTorch 对照检查，然后放进课程自己的小程序库 <code>course_lib</code> 里重复使用。"
        "这些网页展示的是已经执行过的笔记本，包括输出和图；要运行或修改它们，请在 JupyterLab 中"
        "打开课程（<code>make lab</code>）。课程依照李宏毅老师的机器学习课程。"
    ),
    "glossary-line": '中英对照的关键术语：<a href="glossary.html">术语表</a>。',
    "notation-line": '每一讲使用的符号：<a href="notation.html">符号表</a>。',
    "no-results": "没有找到结果。",
    "noscript": ("搜索需要 JavaScript。没有脚本时，请用左侧目录浏览；下面列出了全书的所有章节。"),
    "widget-note": (
        "在 JupyterLab 中运行笔记本时，这里会显示一个交互式探索器（滑块需要正在运行的内核）；"
        "上方的静态图展示的是同一幅图。"
    ),
}

EN = {
    "intro": (
        "Seven lectures from the chain rule to a complete PyTorch project. Every idea is built "
        "from scratch in NumPy, checked against PyTorch, and then reused from the course's "
        "small library, <code>course_lib</code>. These pages show the notebooks as executed, "
        "with their outputs and figures; to run and change them, open the course in "
        "JupyterLab (<code>make lab</code>). The course follows Hung-yi Lee's machine-learning "
        "lectures."
    ),
    "glossary-line": 'Key terms in English and Chinese: <a href="glossary.html">the glossary</a>.',
    "notation-line": 'The symbols every lecture uses: <a href="notation.html">notation</a>.',
    "no-results": "No results.",
    "noscript": (
        "Search needs JavaScript. Without scripts, browse with the contents on the left; every "
        "section of the book is listed below."
    ),
    "widget-note": (
        "An interactive explorer is shown here when the notebook runs in JupyterLab (sliders "
        "need a live kernel); the static figure above it shows the same picture."
    ),
}

LECTURES_ZH = {
    "01": (
        "反向传播",
        "线性模型上的梯度下降、计算图、标量自动微分引擎、按形状匹配求矩阵梯度、"
        "两层网络的反向传播（用数值梯度和 torch.autograd 检查）",
    ),
    "02": (
        "临界点与海森矩阵",
        "模型偏差、优化问题与过拟合，鞍点，三种求海森矩阵的方法，"
        "逃离鞍点，条件数，牛顿法，海森矩阵-向量乘积",
    ),
    "03": (
        "批次大小与动量",
        "批次与轮次，实测每次更新与每轮的时间，噪声为何有帮助，"
        "与 torch.optim.SGD 一致的动量与 Nesterov 动量",
    ),
    "04": (
        "自适应学习率",
        "AdaGrad、RMSProp、带偏差修正的 Adam，学习率调度与预热，与 torch.optim 逐步对照",
    ),
    "05": (
        "分类损失",
        "softmax 及其稳定写法，交叉熵与均方误差，带 logits 的二元交叉熵，"
        "铰链损失，为什么更多数据能泛化（Hoeffding 不等式）",
    ),
    "06": (
        "批次标准化",
        "特征缩放与误差曲面，批次标准化的前向与反向，滑动统计量，train() 与 eval()",
    ),
    "07": (
        "PyTorch 教程",
        "张量、Dataset / DataLoader、nn.Module、训练循环、验证、提前停止，"
        "以及一个完整的表格数据项目",
    ),
}


def text(key: str, lang: str) -> str:
    """The book's string ``key`` in edition ``lang`` (a key that is English text is its own
    English)."""
    if lang == "zh":
        return ZH[key]
    return EN.get(key, key)


def lecture_title(lecture: Lecture, lang: str) -> str:
    return LECTURES_ZH[lecture.number][0] if lang == "zh" else lecture.title


def lecture_summary(lecture: Lecture, lang: str) -> str:
    return LECTURES_ZH[lecture.number][1] if lang == "zh" else lecture.summary


def page_title(kind: str, lecture: Lecture, lang: str) -> str:
    """ "01 Backpropagation", "Homework 01: Backpropagation", "作业 01：反向传播" …"""
    title = lecture_title(lecture, lang)
    if kind == "lecture":
        return f"{lecture.number} {title}"
    label = text("Homework" if kind == "homework" else "Solution", lang)
    return (
        f"{label} {lecture.number}：{title}"
        if lang == "zh"
        else f"{label} {lecture.number}: {title}"
    )
