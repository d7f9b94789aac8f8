import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Permission } from '../auth/roles';
import { CreateScoreVersionRequest, FoldQuarantineQueryRequest, RefoldRequest, ReportQueryRequest } from './dto/report.request.dto';
import {
  BacklogResponse, DurationsResponse, RankingsResponse, RatesResponse, type FoldQuarantineResponse, type FoldRetryResponse, type RefoldResponse, type ScoreVersionResponse,
} from './dto/report.response.dto';
import { columnsOf, csvStream, xlsxStream, type ShapeOf } from './report-export';
import { FoldQuarantineService } from './fold-quarantine.service';
import { ReportsService, reportTemplateRow, type ReportName } from './reports.service';

type Report = DurationsResponse | RatesResponse | BacklogResponse | RankingsResponse;
const REPORT_TYPES = ['application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'];

@ApiTags('reports 统计报表')
@Controller('api/v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService, private readonly quarantine: FoldQuarantineService) {}

  /** 时长: filing → dispatch, dispatch → sign, dispatch → resolve, filing → close (natural and business time). */
  @Get('durations')
  @RequirePermission(Permission.ReportRead)
  @ApiOkResponse({ type: DurationsResponse, description: 'JSON; with `format=csv` or `format=xlsx` the same rows as a file' })
  @ApiProduces(...REPORT_TYPES)
  async durations(@CurrentUser() user: Principal, @Query() q: ReportQueryRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Report | Readable> {
    return this.send(reply, q.format, 'durations', await this.reports.durations(user, q));
  }

  /** 结案率, 按期结案率, 按期处置率, 返工率, 延期率, 退单率, 准确派遣率, 响应率 / 解决率 / 满意率, composite score. */
  @Get('rates')
  @RequirePermission(Permission.ReportRead)
  @ApiOkResponse({ type: RatesResponse, description: 'JSON; with `format=csv` or `format=xlsx` the same rows as a file' })
  @ApiProduces(...REPORT_TYPES)
  async rates(@CurrentUser() user: Principal, @Query() q: ReportQueryRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Report | Readable> {
    return this.send(reply, q.format, 'rates', await this.reports.rates(user, q));
  }

  /** Open tickets by age and SLA colour (积压). */
  @Get('backlog')
  @RequirePermission(Permission.ReportRead)
  @ApiOkResponse({ type: BacklogResponse, description: 'JSON; with `format=csv` or `format=xlsx` the same rows as a file' })
  @ApiProduces(...REPORT_TYPES)
  async backlog(@CurrentUser() user: Principal, @Query() q: ReportQueryRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Report | Readable> {
    return this.send(reply, q.format, 'backlog', await this.reports.backlog(user, q));
  }

  /** Streets or units ranked by composite score, with naming lists (排名, 通报 / 表扬). */
  @Get('rankings')
  @RequirePermission(Permission.ReportRead)
  @ApiOkResponse({ type: RankingsResponse, description: 'JSON; with `format=csv` or `format=xlsx` the same rows as a file' })
  @ApiProduces(...REPORT_TYPES)
  async rankings(@CurrentUser() user: Principal, @Query() q: ReportQueryRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Report | Readable> {
    return this.send(reply, q.format, 'rankings', await this.reports.rankings(user, q));
  }

  /** The composite-score versions (考核方案): weights, 基本满意 factor and naming-list lines per evaluation period. */
  @Get('score-versions')
  @RequirePermission(Permission.ReportRead)
  async scoreVersions(): Promise<ScoreVersionResponse[]> {
    return this.reports.scoreVersions();
  }

  /** Adds a score version for a coming evaluation period (city-level admins). */
  @Post('score-versions')
  @RequirePermission(Permission.ReportManage)
  async addScoreVersion(@CurrentUser() user: Principal, @Body() body: CreateScoreVersionRequest): Promise<ScoreVersionResponse> {
    return this.reports.addScoreVersion(user, body);
  }

  /** Tickets of the caller's subtree quarantined from the report fold: id, number, error, attempts (no case content). */
  @Get('fold-quarantine')
  @RequirePermission(Permission.ReportManage)
  async foldQuarantine(@CurrentUser() user: Principal, @Query() q: FoldQuarantineQueryRequest): Promise<FoldQuarantineResponse[]> {
    return this.quarantine.list(user, q.limit ?? 100);
  }

  /** Refolds the quarantined tickets of the caller's subtree now (after their cause is fixed). */
  @Post('fold-quarantine/retry')
  @HttpCode(200)
  @RequirePermission(Permission.ReportManage)
  async retryFoldQuarantine(@CurrentUser() user: Principal): Promise<FoldRetryResponse> {
    return this.quarantine.retry(user);
  }

  /**
   * 重新汇总: rewinds the report fold so the worker folds every event from `from` (a day) on again, e.g. after a
   * calendar change; reports keep answering meanwhile, `rollupLagMs` shows the progress. City-level admins only.
   */
  @Post('refold')
  @HttpCode(202)
  @RequirePermission(Permission.ReportManage)
  async refold(@CurrentUser() user: Principal, @Body() body: RefoldRequest): Promise<RefoldResponse> {
    return this.quarantine.refold(user, body);
  }

  private send(reply: FastifyReply, format: string | undefined, name: ReportName, report: Report): Report | Readable {
    if (format !== 'csv' && format !== 'xlsx') return report;
    const file = `${name}-${report.from}-${report.to}-${report.groupBy}.${format}`;
    void reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="${file}"`)
      .header('cache-control', 'private, no-store')
      .header('x-rollup-lag-ms', String(report.rollupLagMs))
      .header('x-replica-lag-ms', String(report.replicaLagMs))
      .header('x-quarantined-tickets', String(report.quarantinedTickets))
      .header('x-as-of', report.asOf);
    // 环比/同比 of a group without data in that period are null: give them the columns of what they compare.
    const compared = name === 'durations' ? 'metrics' : name === 'rates' ? 'rates' : undefined;
    const shapeOf: ShapeOf = compared ? { mom: compared, yoy: compared } : {};
    // The header comes from the report's columns, so an empty report has one too.
    const columns = columnsOf(reportTemplateRow(name), shapeOf);
    return format === 'csv' ? csvStream(report.rows, shapeOf, columns) : xlsxStream(report.rows, name, shapeOf, undefined, columns);
  }
}
